// file: URIs and paths, for the server's two threads alike.
import { fileURLToPath } from 'url';

/** The file path of a file: URI; '' for anything else. */
export function fileOf(uri: string): string {
  if (!uri.startsWith('file:')) return '';
  try { return fileURLToPath(uri); } catch { return ''; }
}
