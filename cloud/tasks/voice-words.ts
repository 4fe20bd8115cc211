/**
 * The words of the voice task that are not keywords (issue 18). A keyword spotter is judged on
 * how rarely it fires on everything else, so its 'other' class must stand for many words, not a
 * dozen: with 73 of them, a 4-keyword model fired 350 times an hour on two-syllable words it had
 * never heard. Two disjoint lists:
 *
 *   - OTHER_WORDS train the 'other' class: Speech Commands' auxiliary words, everyday words, and
 *     near misses that share a sound with a keyword (yet, yellow, less; nose, note, snow; cup,
 *     upper, supper; town, dawn, brown). Homophones of a keyword ('know' for 'no') are left out:
 *     their audio is the keyword's, so the label would be noise.
 *   - FILLER_WORDS are held out for listening streams (voice-stream.ts), so the false accepts a
 *     stream measures are on words training never contained (disjointness is tested).
 */

const words = (s: string): readonly string[] => Object.freeze(s.trim().split(/\s+/));

export const OTHER_WORDS: readonly string[] = words(`
  cat house left right on off tree bird seven happy wow learn dog bed zero one two three four
  five six eight nine follow forward backward visual sheila marvin apple blue car day eat face
  girl hand ice jump key light money name over play queen red sun time under very walk box year
  zoo yet cup town stay going better letter dinner summer winter doctor pocket rabbit silver
  button pencil kitchen
  yellow yell yard young yawn yam less mess guess dress chess press desk nest west test vest best
  nose note snow low toe so slow show grow throw road boat goat now new not nut noon nail near
  nice nap noise north
  pup upper supper hop top pop shop puppy cut but bus hut us ugly uncle
  dawn gown brown clown crown round sound found done dune doubt dot dough dome towel tower power
  flower loud cloud proud count
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
  chicken coffee planet ocean motor notice yogurt thunder dolphin noodle pupil dozen cupboard
`);
