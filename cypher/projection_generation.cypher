// What identifies the snapshot the projections are read from, so that the Neo4j store keeps the
// tables it read only while it stays the same (ringwatch.graph.neo4j_projections): the latest
// completed load's generation id (every load writes a new one), and the sizes of the snapshot's
// labels and relationship types (counts Neo4j keeps, read without a scan), which tell apart the
// graphs that no load marked (written before generations, or by an import killed before it
// marked its own) and a graph cleared since. Saving rings changes none of them. A load keeps
// its projections under the same key (keep_projection.cypher). All sizes 0: no snapshot.
OPTIONAL MATCH (g:SnapshotGeneration)
WHERE g.complete = true
WITH g
ORDER BY g.completed_at DESC
LIMIT 1
CALL () { MATCH (n:Creator) RETURN count(n) AS creators }
CALL () { MATCH (n:Shop) RETURN count(n) AS shops }
CALL () { MATCH (n:Order) RETURN count(n) AS orders }
CALL () { MATCH (n:Commission) RETURN count(n) AS commissions }
CALL () { MATCH (n:Violation) RETURN count(n) AS violations }
CALL () { MATCH (n:AllowlistEntry) RETURN count(n) AS allowlist }
CALL () { MATCH ()-[r:USES]->() RETURN count(r) AS uses }
CALL () { MATCH ()-[r:PLACED]->() RETURN count(r) AS placed }
CALL () { MATCH ()-[r:PROMOTES]->() RETURN count(r) AS promotes }
CALL () { MATCH ()-[r:OWNS]->() RETURN count(r) AS owns }
CALL () { MATCH ()-[r:MEMBER_OF]->() RETURN count(r) AS member_of }
RETURN g.id AS generation,
       [creators, shops, orders, commissions, violations, allowlist, uses, placed, promotes, owns, member_of]
         AS sizes
