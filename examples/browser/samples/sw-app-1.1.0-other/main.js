// The example web app: plain ES modules, served only after the service worker has verified
// every file of app/ against its signed manifest (.omega/).
import { greet } from './lib/greet.js';
import { startClock } from './lib/clock.js';

const style = document.createElement('link');
style.rel = 'stylesheet';
style.href = new URL('./app.css', import.meta.url).href;
document.head.append(style);

const root = document.getElementById('app');
root.innerHTML = '';
const h = document.createElement('p');
h.className = 'app-greeting';
h.textContent = greet('browser');
const clock = document.createElement('p');
clock.className = 'app-clock';
// Code loaded later goes through the bootstrap's guard (omegaImport): it loads only while the
// pinned Ωpm worker controls the page, and the worker serves it from the same verified release.
const more = document.createElement('button');
more.type = 'button';
more.id = 'app-details';
more.className = 'secondary';
more.textContent = 'Show release details (lazy import)';
const details = document.createElement('p');
details.className = 'app-details';
more.addEventListener('click', async () => {
  try {
    if (typeof globalThis.omegaImport !== 'function') throw new Error('no Ωpm bootstrap on this page');
    const mod = await globalThis.omegaImport(new URL('./lib/details.js', import.meta.url).href);
    details.textContent = mod.details();
    root.dataset.details = mod.RELEASE;
  } catch (e) {
    details.textContent = `Not loaded: ${e.message ?? e}`;
    root.dataset.details = 'refused';
  }
});
root.append(h, clock, more, details);
startClock(clock);
root.dataset.state = 'running';
document.dispatchEvent(new CustomEvent('app:started'));
