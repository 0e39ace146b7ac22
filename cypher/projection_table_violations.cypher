// Table read for the projections (ringwatch.graph.neo4j_projections): each creator's policy
// violations with their severity, as one row of columns (lists).
MATCH (c:Creator)-[:COMMITTED]->(v:Violation)
RETURN collect(c.id) AS creator_id,
       collect(coalesce(v.severity, '')) AS severity
