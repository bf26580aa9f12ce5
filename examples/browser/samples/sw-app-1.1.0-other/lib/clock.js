// Part of the signed example app: a clock, to show the app is alive.
export function startClock(el) {
  const tick = () => {
    el.textContent = `App running since page load · ${new Date().toLocaleTimeString()}`;
  };
  tick();
  return setInterval(tick, 1000);
}
