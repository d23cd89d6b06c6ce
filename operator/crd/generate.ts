// Writes crds/*.yaml (and the same files into the Helm chart's crds/) from the
// zod schemas: `npx tsx operator/crd/generate.ts`.
// Refuses to write a CRD the API server would reject as non-structural.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crds, type CustomResourceDefinition } from './crd.ts';
import { crdFileName, renderCrd, sources } from './render.ts';
import { metadataProblems, structuralProblems } from './structural.ts';
import { SchemaNotStructuralError } from './errors.ts';

export const crdDirectory = fileURLToPath(new URL('../../crds/', import.meta.url));
/** The chart's copy: Helm installs the CRDs it finds in a chart's crds/. */
export const helmCrdDirectory = fileURLToPath(new URL('../../helm/brook/crds/', import.meta.url));
export const crdDirectories = [crdDirectory, helmCrdDirectory];

/** Each CRD file's name and content, checked to be structural. */
export function generateCrdFiles(): { name: string; content: string }[] {
  return crds.map((build) => {
    const crd: CustomResourceDefinition = build();
    const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;
    const problem = [...structuralProblems(schema), ...metadataProblems(schema)][0];
    if (problem) throw new SchemaNotStructuralError(`${crd.metadata.name}:${problem.path}`, problem.problem);
    return { name: crdFileName(crd), content: renderCrd(crd, sources[crd.spec.names.kind]!) };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { name, content } of generateCrdFiles()) {
    for (const directory of crdDirectories) {
      writeFileSync(directory + name, content);
      console.log(`wrote ${directory}${name}`);
    }
  }
}
