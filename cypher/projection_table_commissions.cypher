// Table read for the projections (ringwatch.graph.neo4j_projections): every commission with
// its order's internal id (FOR; see projection_table_orders), as one row of columns (lists).
// Times are epoch microseconds ($missing: none).
MATCH (cm:Commission)-[:FOR]->(o)
WITH cm, o, cm.created_at AS created_at
RETURN collect(id(o)) AS order_id,
       collect(coalesce(cm.amount, 0.0)) AS amount,
       collect(coalesce(cm.rate, 0.0)) AS rate,
       collect(coalesce(created_at.epochMillis * 1000 + created_at.microsecond % 1000, $missing))
         AS created_at,
       collect(coalesce(cm.status, '')) AS status
