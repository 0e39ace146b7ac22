// Table read for the projections (ringwatch.graph.neo4j_projections): each attributed order's
// creator (ATTRIBUTED_TO), by the order's internal id, as one row of columns (lists).
MATCH (o)-[:ATTRIBUTED_TO]->(creator:Creator)
RETURN collect(id(o)) AS order_id,
       collect(creator.id) AS creator_id
