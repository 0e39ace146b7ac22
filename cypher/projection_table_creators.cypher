// Table read for the projections (ringwatch.graph.neo4j_projections): the creators a snapshot
// listed (a creator only named by an order or a commission has no registration time), with
// their agency, as one row of columns (lists), which the driver decodes many times faster than
// one record per creator. A missing agency is '' and times are epoch microseconds ($missing:
// none), as the reader expects.
MATCH (c:Creator)
WITH c, c.registered_at AS registered_at
WHERE registered_at IS NOT NULL
OPTIONAL MATCH (c)-[:MEMBER_OF]->(agency:Agency)
RETURN collect(c.id) AS creator_id,
       collect(registered_at.epochMillis * 1000 + registered_at.microsecond % 1000) AS registered_at,
       collect(coalesce(agency.id, '')) AS agency_id
