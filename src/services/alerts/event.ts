/** What an alert says, the same for every channel (the webhook sends it as JSON). */
export interface AlertEvent {
  /** `firing` (first notice), `repeat` (still going on), `resolved` (over) or `test` (the send-test button). */
  state: 'firing' | 'repeat' | 'resolved' | 'test';
  /** e.g. `gateway_offline`. */
  condition: string;
  /** The state key, e.g. `gateway_offline:12`: the same for every notice about one occurrence. */
  key: string;
  subject: string;
  message: string;
  /** When the condition was first seen (ISO). */
  since: string;
  /** When this notice was made (ISO). */
  at: string;
}

const STATE_WORDS: Record<AlertEvent['state'], string> = {
  firing: 'ALERT',
  repeat: 'STILL',
  resolved: 'RESOLVED',
  test: 'TEST',
};

/** One line for titles and subjects, without control characters (they end up in headers). */
export function alertTitle(event: AlertEvent, prefix = 'Gatehouse'): string {
  const raw = `${prefix ? `${prefix}: ` : ''}${STATE_WORDS[event.state]} ${event.subject}`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);
}

export function alertText(event: AlertEvent): string {
  const lines = [event.message, '', `condition: ${event.condition}`, `since: ${event.since}`, `at: ${event.at}`];
  if (event.state === 'resolved') lines.unshift('Resolved.');
  return lines.join('\n').slice(0, 4000);
}
