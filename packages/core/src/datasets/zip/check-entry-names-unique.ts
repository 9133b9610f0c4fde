import { ValidationError } from '../../errors.js';
import { entryLabel, quoteEntryName } from './zip-errors.js';

type Kind = 'file' | 'dir' | 'implied';
interface Seen {
  kind: Kind;
  name: string;
}

/** Key under which two names land on the same file of a case-insensitive, normalising file system. */
const fold = (name: string): string => name.normalize('NFC').toLowerCase().normalize('NFC');

function problemWith(name: string, other: Seen, isDirectory: boolean): string {
  const otherName = quoteEntryName(other.name);
  if ((other.kind !== 'file') !== isDirectory) {
    if (isDirectory) return `is a folder, but ${otherName} is a file of the same name`;
    return other.kind === 'implied' ? `is a file, but ${otherName} uses it as a folder` : `is a file, but ${otherName} is a folder of the same name`;
  }
  if (other.name === name) return 'appears more than once';
  return `has the same name as ${otherName} when case and Unicode normalisation are ignored`;
}

function clash(name: string, other: Seen, isDirectory: boolean): never {
  throw new ValidationError(`${entryLabel(name)} ${problemWith(name, other, isDirectory)}`, {
    reason: 'duplicate_entry',
    details: { entry: name, other: other.name },
  });
}

/**
 * Returns a checker that throws ValidationError (reason 'duplicate_entry') when a name repeats one already
 * added: exactly, ignoring case, after NFC normalisation, or as a file where another entry needs a folder.
 */
export function createUniqueNameCheck(): (name: string, isDirectory: boolean) => void {
  const seen = new Map<string, Seen>();
  return (name, isDirectory) => {
    const key = fold(isDirectory ? name.slice(0, -1) : name);
    const existing = seen.get(key);
    if (existing && (existing.kind !== 'implied' || !isDirectory)) clash(name, existing, isDirectory);
    seen.set(key, { kind: isDirectory ? 'dir' : 'file', name });
    // Register parent folders, deepest first; stop at one already known (its own parents are known too).
    for (let cut = key.lastIndexOf('/'); cut > 0; cut = key.lastIndexOf('/', cut - 1)) {
      const parent = key.slice(0, cut);
      const known = seen.get(parent);
      if (known?.kind === 'file') clash(known.name, { kind: 'implied', name }, false);
      if (known) break;
      seen.set(parent, { kind: 'implied', name });
    }
  };
}
