/** Copy buttons (resume links): copies the text and says so on the button for a moment. */

export function copyWithFeedback(text: string, target: HTMLButtonElement): void {
  const label = target.textContent;
  const say = (word: string) => {
    target.textContent = word;
    window.setTimeout(() => {
      target.textContent = label;
    }, 1500);
  };
  // The clipboard needs a secure context (https or 127.0.0.1/localhost): elsewhere, say how.
  if (!navigator.clipboard) {
    say('Select it and copy');
    return;
  }
  navigator.clipboard.writeText(text).then(
    () => say('Copied'),
    () => say('Select it and copy'),
  );
}
