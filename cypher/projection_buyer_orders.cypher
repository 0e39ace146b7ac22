// Projection `buyer_orders` (ringwatch.graph.projections): orders aggregated per buyer, shop and
// attributed creator (null for organic orders; normalised to ""). Refunded after commission as in
// projection_creator_shop_trade, and so is currency.
MATCH (buyer:Buyer)-[:PLACED]->(o:Order)-[:FROM]->(shop:Shop)
OPTIONAL MATCH (o)-[:ATTRIBUTED_TO]->(creator:Creator)
WITH buyer, shop, creator, o,
     EXISTS {
       MATCH (o)<-[:FOR]-(cm)
       WHERE o.status = 'refunded' AND cm.status IN ['paid', 'reversed']
         AND cm.created_at < o.refunded_at
     } AS after_commission
WITH buyer.id AS buyer_id,
     shop.id AS shop_id,
     creator.id AS creator_id,
     count(o) AS orders,
     sum(o.amount) AS gmv,
     sum(CASE WHEN o.status = 'refunded' THEN 1 ELSE 0 END) AS refunded_orders,
     sum(CASE WHEN after_commission THEN 1 ELSE 0 END) AS refunded_after_commission,
     collect(DISTINCT coalesce(toUpper(trim(o.currency)), '')) AS currencies
RETURN buyer_id, shop_id, creator_id, orders, gmv, refunded_orders, refunded_after_commission,
       CASE size(currencies) WHEN 1 THEN currencies[0] ELSE 'mixed' END AS currency
