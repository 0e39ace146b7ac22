// `ringwatch load`, first of all: mark a new snapshot generation as begun, before the previous
// one is cleared (--replace) or anything of the new one is written. While a marker is
// incomplete, readers refuse the graph (incomplete_generation.cypher): a load killed half way
// leaves a store that says so instead of a half graph that detection would run on.
MERGE (g:SnapshotGeneration {id: $generation})
SET g.complete = false, g.started_at = datetime.realtime()
