// Projection `creators` (ringwatch.graph.projections): one row per creator with its agency and
// prior violations (severe = medium or high). Times as epoch milliseconds.
MATCH (c:Creator)
WHERE c.registered_at IS NOT NULL
OPTIONAL MATCH (c)-[:MEMBER_OF]->(agency:Agency)
RETURN c.id AS creator_id,
       c.registered_at.epochMillis AS registered_at_ms,
       agency.id AS agency_id,
       COUNT { (c)-[:COMMITTED]->() } AS violations,
       COUNT { (c)-[:COMMITTED]->(v) WHERE v.severity IN ['medium', 'high'] }
         AS severe_violations
