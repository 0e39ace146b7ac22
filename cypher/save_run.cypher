// Record one detection run, keyed by run_id. Its scalar fields are properties (nested values as
// JSON text) for investigators; `doc` holds the whole run as JSON, which is what runs() returns.
// `seq` orders runs as they were saved: saving a run again moves it last, as in the local store.
// $run_id: str, $props: {field: scalar}, $doc: str
OPTIONAL MATCH (earlier:Run)
WITH coalesce(max(earlier.seq), 0) + 1 AS seq
MERGE (run:Run {run_id: $run_id})
SET run = $props
SET run.run_id = $run_id, run.doc = $doc, run.seq = seq
