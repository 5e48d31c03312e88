/**
 * Turning what a user typed (files, folders, globs such as `photos/*.jpg` or `data/**\/*.png`) into the image files
 * it names, for `predict` and friends: folders are read recursively, globs are matched segment by segment (`*` and `?`
 * within a name, `**` across folders), and every argument that names no image is reported with why instead of
 * stopping the others.
 * @example
 *   const { files, problems } = expandImagePaths(['cat.jpg', 'more/', 'shots/*.png']);
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { isImageFile } from './image-file.ts';
import type { SkippedFile } from './image-list.ts';

/** Every image file below `dir` (recursively, hidden entries left out), sorted. */
function imagesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (ent.name.startsWith('.')) continue;
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (isImageFile(ent.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const isGlob = (s: string) => /[*?[]/.test(s);

function segmentRegex(segment: string): RegExp {
  const body = segment
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** Files matching a glob: the part before the first wildcard segment is walked literally. */
function matchGlob(pattern: string): string[] {
  const absolute = isAbsolute(pattern);
  const parts = pattern.split(/[\\/]+/).filter((p, i) => p !== '' || i === 0);
  if (absolute) parts.shift();
  const out: string[] = [];
  const step = (base: string, rest: string[]) => {
    if (rest.length === 0) {
      if (existsSync(base) && statSync(base).isFile() && isImageFile(base)) out.push(base);
      return;
    }
    const [head, ...tail] = rest;
    if (head === '**') {
      step(base, tail);
      if (!existsSync(base) || !statSync(base).isDirectory()) return;
      for (const ent of readdirSync(base, { withFileTypes: true })) if (ent.isDirectory() && !ent.name.startsWith('.')) step(join(base, ent.name), rest);
      return;
    }
    if (!isGlob(head)) return step(join(base, head), tail);
    if (!existsSync(base) || !statSync(base).isDirectory()) return;
    const re = segmentRegex(head);
    for (const ent of readdirSync(base).sort()) if (!ent.startsWith('.') && re.test(ent)) step(join(base, ent), tail);
  };
  step(absolute ? sep : '.', parts);
  return [...new Set(out)].sort();
}

/**
 * The image files named by `args` (files, folders, globs), in order and without duplicates; `problems` lists each
 * argument that named none (missing, a folder without images, a glob matching nothing, not an image file).
 */
export function expandImagePaths(args: readonly string[]): { files: string[]; problems: SkippedFile[] } {
  const files: string[] = [];
  const problems: SkippedFile[] = [];
  const seen = new Set<string>();
  const add = (p: string) => {
    const full = resolve(p);
    if (!seen.has(full)) {
      seen.add(full);
      files.push(full);
    }
  };
  for (const arg of args) {
    if (existsSync(arg)) {
      if (statSync(arg).isDirectory()) {
        const found = imagesUnder(arg);
        if (found.length === 0) problems.push({ path: resolve(arg), reason: 'is a folder with no image files in it' });
        found.forEach(add);
      } else if (!isImageFile(arg)) problems.push({ path: resolve(arg), reason: 'is not an image file (expected .jpg, .png, .webp, .gif, .tif or .avif)' });
      else add(arg);
    } else if (isGlob(arg)) {
      const found = matchGlob(arg);
      if (found.length === 0) problems.push({ path: arg, reason: 'matches no image files' });
      found.forEach(add);
    } else problems.push({ path: resolve(arg), reason: 'does not exist' });
  }
  return { files, problems };
}
