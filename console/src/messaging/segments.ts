// How carriers split and bill a text, as the server counts it (core io.switchboard.messaging.Segments): GSM-7
// (the GSM 03.38 basic set; the extension characters € [ ] { } \ ^ ~ | and form feed take two septets) fits 160
// septets in one part and 153 per part once split; one character outside GSM-7 makes the whole text UCS-2,
// 70 UTF-16 code units in one part and 67 per part (an emoji outside the BMP takes two). At most 1,600 characters.

export const MAX_CHARACTERS = 1600;

const BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const EXTENSION = "\f^{}\\[~]|€";

export interface Segments {
  encoding: "GSM-7" | "UCS-2";
  /** septets (GSM-7) or UTF-16 code units (UCS-2) */
  units: number;
  count: number;
  /** code points, as the 1,600-character limit counts them */
  characters: number;
}

export function segments(text: string): Segments {
  const characters = [...text].length;
  let septets = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (BASIC.includes(c)) septets++;
    else if (EXTENSION.includes(c)) septets += 2;
    else {
      const units = text.length;
      return { encoding: "UCS-2", units, count: units <= 70 ? 1 : Math.ceil(units / 67), characters };
    }
  }
  return { encoding: "GSM-7", units: septets, count: septets <= 160 ? 1 : Math.ceil(septets / 153), characters };
}

/** Why the server would refuse {@code text} as a body, if it would: empty, or longer than 1,600 characters. */
export function refusal(text: string): string | undefined {
  if (!text) return "is empty";
  const n = [...text].length;
  return n > MAX_CHARACTERS ? `has ${n} characters; a text may have at most ${MAX_CHARACTERS}` : undefined;
}

/** "1 segment · GSM-7", as the composer and the template editors show a text's cost. */
export function segmentLabel(s: Segments): string {
  return `${s.count} ${s.count === 1 ? "segment" : "segments"} · ${s.encoding}`;
}
