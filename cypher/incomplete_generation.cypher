// Every reader of the snapshot first asks for an incomplete generation: the latest begun load
// that never wrote its completion (killed, or still running). No row: the graph is whole.
MATCH (g:SnapshotGeneration)
WHERE g.complete = false
RETURN g.id AS generation, toString(g.started_at) AS started_at
ORDER BY g.started_at DESC
LIMIT 1
