/**
 * The words of the voice task that are not keywords (issue 18). A keyword spotter is judged on
 * how rarely it fires on everything else, so its 'other' class must stand for many words, not a
 * dozen: with 73 of them, a 4-keyword model fired 350 times an hour on two-syllable words it had
 * never heard. Two disjoint lists:
 *
 *   - OTHER_WORDS train the 'other' class: Speech Commands' auxiliary words, everyday words, and
 *     near misses that differ from a keyword in one sound (yet, yell, less; now, new, not; but,
 *     hop, us; town, dawn, done), and words shaped like 'down' (d, a vowel, n: den, darn,
 *     sudden, dragon): without them the validation stream's 'garden' fired as 'down'. Words
 *     that hold a keyword's sounds whole are left out: a homophone ('know' for 'no') is the
 *     keyword's audio, and in 'nose', 'snow', 'cup' or 'upper' a 1 s window at the right moment
 *     hears exactly 'no' or 'up', so the label 'other' would teach the model to miss the
 *     keyword itself (it did: 0.81 clip accuracy with them).
 *   - FILLER_WORDS are held out for listening streams (voice-stream.ts), so the false accepts a
 *     stream measures are on words training never contained (disjointness is tested).
 */

const words = (s: string): readonly string[] => Object.freeze(s.trim().split(/\s+/));

export const OTHER_WORDS: readonly string[] = words(`
  cat house left right on off tree bird seven happy wow learn dog bed zero one two three four
  five six eight nine follow forward backward visual sheila marvin apple blue car day eat face
  girl hand ice jump key light money name over play queen red sun time under very walk box year
  zoo yet town stay going better letter dinner summer winter doctor pocket rabbit silver
  button pencil kitchen
  yellow yell yard young yawn yam less mess guess dress chess press desk nest west test vest best
  low toe so slow show grow throw road boat goat now new not nut noon nail near
  nice nap noise north
  hop top pop shop cut but bus hut us ugly uncle
  dawn gown brown clown crown round sound found done dune dot dome towel tower power
  flower loud cloud proud count
  sudden hidden wooden golden warden london dragon dungeon demon deny dine den darn dent dusk
  after again air animal answer baby ball bank beach bread bridge brother candle chair city clock
  coat color corner cousin dance drink early earth engine evening family farmer father fish flag
  forest friend fruit glass grass green hammer heavy hello hill horse hotel island jacket juice
  king ladder lemon lion machine market metal milk mother mountain nature needle orange palace
  party picture pillow quiet radio rain ribbon salad school shadow sister small smile soap spider
  spring station stone street sugar tiger tomato travel truck valley village voice wagon wall
  weather wheel white wind wolf wood world zebra
`);

/** Non-keyword speech for listening streams; none of these is in OTHER_WORDS. */
export const FILLER_WORDS: readonly string[] = words(`
  table water morning people little number open paper music window garden basket moment river
  chicken coffee planet ocean motor lantern yogurt thunder dolphin noodle pupil dozen cupboard
`);
