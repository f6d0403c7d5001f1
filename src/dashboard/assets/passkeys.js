// Passkeys (WebAuthn) on the dashboard: "Add a passkey" on /account/passkeys and "Use a passkey" on the login
// pages. navigator.credentials is driven by @simplewebauthn/browser (/assets/simplewebauthn.js); the server
// side is src/dashboard/login/passkey.tsx and src/dashboard/account/passkeys.tsx.
(() => {
  const csrf = () => document.querySelector('input[name="_csrf"]')?.value ?? '';
  const post = (url, body) =>
    fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf() },
      body: JSON.stringify(body ?? {}),
    });
  const say = (id, text) => {
    const el = document.getElementById(id);
    if (el) el.textContent = text;
  };
  const reason = async (res) => {
    try {
      return (await res.json()).error?.message ?? `error ${res.status}`;
    } catch {
      return `error ${res.status}`;
    }
  };

  document.addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('#passkey-add, #passkey-login') : null;
    if (!button) return;
    const lib = window.SimpleWebAuthnBrowser;
    if (!lib || !window.PublicKeyCredential) {
      say('passkey-status', 'This browser does not support passkeys.');
      return;
    }
    button.disabled = true;
    try {
      if (button.id === 'passkey-add') {
        const options = await post('/account/passkeys/options');
        if (!options.ok) throw new Error(await reason(options));
        const response = await lib.startRegistration({ optionsJSON: await options.json() });
        const name = document.getElementById('passkey-name')?.value ?? '';
        const saved = await post('/account/passkeys', { name, response });
        if (!saved.ok) throw new Error(await reason(saved));
        window.location.assign('/account/passkeys?done=passkey-added');
      } else {
        const options = await post('/login/passkey/options');
        if (!options.ok) throw new Error(await reason(options));
        const response = await lib.startAuthentication({ optionsJSON: await options.json() });
        const done = await post('/login/passkey', { response, next: button.dataset.next ?? '/' });
        if (!done.ok) throw new Error(await reason(done));
        window.location.assign((await done.json()).next);
      }
    } catch (err) {
      say('passkey-status', `Passkey failed: ${err instanceof Error ? err.message : String(err)}`);
      button.disabled = false;
    }
  });
})();
