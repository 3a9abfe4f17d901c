// The syntax of message subjects, shared by the manifest (queue triggers), the admin publish route and
// every bus implementation. It is NATS's own subject syntax, narrowed, so a NATS bus carries subjects
// unchanged: dot-separated tokens of letters, digits, '_' and '-'. Subjects are exact on both sides:
// no '*' or '>' wildcards (NATS refuses them in a publish, and a wildcard subscription would let one
// function's author draw in messages published for other functions). No leading '$' either: NATS
// reserves $SYS, $JS and the like for itself.

export const MAX_SUBJECT_LENGTH = 255;
const MAX_TOKENS = 16;
const TOKEN = /^[A-Za-z0-9_-]+$/;

/** What is wrong with `subject`, in words that say how to write it; undefined when it is valid. */
export function subjectProblem(subject: string): string | undefined {
  const example = 'like images.uploaded';
  if (subject.length === 0) return `is empty: name a subject, ${example}`;
  if (subject.length > MAX_SUBJECT_LENGTH) return `is longer than ${MAX_SUBJECT_LENGTH} characters`;
  if (subject.startsWith('$')) return `starts with '$', which is reserved for the bus itself: name an application subject, ${example}`;
  const tokens = subject.split('.');
  if (tokens.length > MAX_TOKENS) return `has more than ${MAX_TOKENS} dot-separated tokens`;
  for (const token of tokens) {
    if (token === '') return `has an empty token: separate tokens with single dots, ${example}`;
    if (token === '*' || token === '>' || token.includes('*') || token.includes('>')) {
      return `uses a wildcard (* or >): subjects name one exact channel, ${example}`;
    }
    if (!TOKEN.test(token)) return `has a character other than letters, digits, '_' and '-' in a token: write it ${example}`;
  }
  return undefined;
}

export function isValidSubject(subject: unknown): subject is string {
  return typeof subject === 'string' && subjectProblem(subject) === undefined;
}
