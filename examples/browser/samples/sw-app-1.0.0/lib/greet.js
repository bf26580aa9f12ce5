// Part of the signed example app.
export function greet(who) {
  return `Hello, ${who}! Every script of this app matched its signed manifest.`;
}
