// Part of the signed example app, loaded lazily (main.js, through omegaImport). Its release
// number tells which signed release of the app a page load was served from.
export const RELEASE = '1.1.0';
export function details() {
  return `Release ${RELEASE} of the app: loaded lazily, from the same verified release as the rest of it.`;
}
// Rebuilt: another tree with the same sequence.
