// `pinlens check --patch … / --git`: wires the patch report into the CLI.
import type { Parser } from 'web-tree-sitter';
import type { TreeIndex } from '../index/tree';
import type { Options } from './main';

export async function runPatchMode(_opts: Options, _parser: Parser, _index?: TreeIndex): Promise<number> {
  throw new Error('--patch is not supported yet');
}
