// `ringwatch load`, after the last table and before its generation is completed: keep one part
// of one projection of the new snapshot (Parquet bytes, ringwatch.graph.kept_projections), so
// that detection reads it instead of reading every table and computing it
// (ringwatch.graph.neo4j_projections). $key is the generation's id and the snapshot's sizes
// (projection_generation.cypher): a reader uses a kept projection only under the key it reads
// now, so one from another generation, or of a graph changed since, is never used. MERGE on the
// key, name and part: the driver may retry the transaction.
MERGE (p:KeptProjection {key: $key, name: $projection, part: $part})
SET p.generation = $generation, p.parts = $parts, p.data = $data
