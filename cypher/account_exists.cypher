// Whether the graph has an account, with the local store's meaning (GraphStore.account): a creator
// or shop that a snapshot row made (its required time is set), a seller that owns a shop or uses
// an identifier, a buyer that placed an order or uses an identifier. A node that only a ring
// member MERGEd is not an account.
// $account_type: 'creator' | 'shop' | 'seller' | 'buyer', $account_id: str
RETURN CASE $account_type
  WHEN 'creator' THEN EXISTS { MATCH (a:Creator {id: $account_id}) WHERE a.registered_at IS NOT NULL }
  WHEN 'shop' THEN EXISTS { MATCH (a:Shop {id: $account_id}) WHERE a.registered_at IS NOT NULL }
  WHEN 'seller' THEN EXISTS { MATCH (a:Seller {id: $account_id}) WHERE EXISTS { (a)-[:OWNS|USES]->() } }
  WHEN 'buyer' THEN EXISTS { MATCH (a:Buyer {id: $account_id}) WHERE EXISTS { (a)-[:PLACED|USES]->() } }
  ELSE false END AS found
