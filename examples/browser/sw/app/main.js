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
root.append(h, clock);
startClock(clock);
root.dataset.state = 'running';
document.dispatchEvent(new CustomEvent('app:started'));
