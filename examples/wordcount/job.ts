// Word count, the first streaming job: split lines into words, key by word,
// keep a running count per word in keyed state, print each update.
//
//   brook run examples/wordcount/job.ts --parallelism 2
import type { StreamEnvironment } from 'brook';

const text = [
  'To be, or not to be, that is the question:',
  "Whether 'tis nobler in the mind to suffer",
  'The slings and arrows of outrageous fortune,',
  'Or to take arms against a sea of troubles',
  'And by opposing end them. To die - to sleep,',
  'No more; and by a sleep to say we end',
  'The heart-ache and the thousand natural shocks',
  "That flesh is heir to: 'tis a consummation",
  "Devoutly to be wish'd. To die, to sleep;",
];

export default function build(env: StreamEnvironment, args: string[]): void {
  const lines = args.length > 0 ? args : text;
  env
    .fromCollection(lines)
    .name('lines')
    .flatMap<string>((line, out) => {
      for (const word of line.toLowerCase().split(/[^a-z']+/)) if (word) out.collect(word);
    })
    .name('split')
    .map((word): [string, number] => [word, 1])
    .keyBy(([word]) => word)
    .reduce(([word, a], [, b]) => [word, a + b])
    .uid('word-counts')
    .name('count')
    .print();
}
