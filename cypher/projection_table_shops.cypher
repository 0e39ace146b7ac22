// Table read for the projections (ringwatch.graph.neo4j_projections): the shops a snapshot
// listed (with a registration time) and their seller, as one row of columns (lists). Missing
// text is ''; times are epoch microseconds ($missing: none).
MATCH (s:Shop)
WITH s, s.registered_at AS registered_at
WHERE registered_at IS NOT NULL
OPTIONAL MATCH (seller:Seller)-[:OWNS]->(s)
RETURN collect(s.id) AS shop_id,
       collect(coalesce(seller.id, '')) AS seller_id,
       collect(registered_at.epochMillis * 1000 + registered_at.microsecond % 1000) AS registered_at,
       collect(coalesce(s.category, '')) AS category
