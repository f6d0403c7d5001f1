/**
 * "Copy" for a text the user needs elsewhere (a token, a command, a config). Hidden until app.js shows it
 * (it needs the clipboard API); without JavaScript the text itself stays selectable.
 */
export function CopyButton({ target, label = 'Copy' }: { target: string; label?: string }) {
  return (
    <button type="button" class="small copy" data-copy={target} hidden>
      {label}
    </button>
  );
}
