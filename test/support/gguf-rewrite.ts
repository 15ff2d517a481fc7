/** Rewrites an f32 GGUF model with edited metadata or tensors (for files llama.cpp must refuse). */
import { readFileSync } from 'node:fs';
import { readGgufHeader } from '../../lib/gguf/reader';
import { GgmlType, type GgufValue } from '../../lib/gguf/types';
import { typedValueFromHeader, writeGguf, type GgufTensorSpec, type GgufTypedValue } from './gguf-writer';

/** What an edit may change: metadata values by key (`undefined` removes one) and the tensor list. */
export interface ModelEdit {
  metadata?: Record<string, GgufTypedValue | undefined>;
  tensors?: (tensors: GgufTensorSpec[]) => GgufTensorSpec[];
}

/**
 * Writes `dst`: the f32 model `src` with `edit` applied. Metadata keys keep their
 * order; new keys go last. Throws on a tensor that is not F32.
 */
export async function rewriteModel(src: string, dst: string, edit: ModelEdit): Promise<void> {
  const header = await readGgufHeader(src);
  const bytes = readFileSync(src);
  const metadata: Array<readonly [string, GgufTypedValue]> = [];
  const edits = edit.metadata ?? {};
  for (const [key, value] of Object.entries(header.metadata)) {
    if (key in edits) {
      if (edits[key] !== undefined) metadata.push([key, edits[key]!]);
    } else {
      metadata.push([key, typedValueFromHeader(value as GgufValue, header.metadataTypes[key])]);
    }
  }
  for (const [key, value] of Object.entries(edits)) {
    if (!(key in header.metadata) && value !== undefined) metadata.push([key, value]);
  }
  let tensors: GgufTensorSpec[] = header.tensors.map((t) => {
    if (t.type !== GgmlType.F32) throw new Error(`${t.name} is not F32`);
    const shape = t.shape.map(Number);
    const start = header.dataOffset + Number(t.offset);
    const count = shape.reduce((a, b) => a * b, 1);
    return { name: t.name, shape, type: 'f32', data: new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + 4 * count)) };
  });
  if (edit.tensors) tensors = edit.tensors(tensors);
  await writeGguf(dst, { metadata, tensors });
}
