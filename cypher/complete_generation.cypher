// `ringwatch load`, last of all: the generation is complete. Markers begun before it are
// forgotten (a killed load's marker included); one begun later belongs to a load still running.
MERGE (g:SnapshotGeneration {id: $generation})
SET g.complete = true, g.completed_at = datetime.realtime()
WITH g
OPTIONAL MATCH (older:SnapshotGeneration)
WHERE older <> g AND (older.started_at IS NULL OR older.started_at <= g.started_at)
DELETE older;
// The projections kept for generations no marker names any more go with them.
MATCH (p:KeptProjection)
WHERE NOT EXISTS { MATCH (g:SnapshotGeneration {id: p.generation}) }
DELETE p
