// NOT part of the signed app: it stands for a script an attacker added to the server.
// The service worker refuses it (FILE_EXTRA); without Ωpm it would run.
window.__omegaInjected = true;
document.body.style.outline = '6px solid #c0392b';
