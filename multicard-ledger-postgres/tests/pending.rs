//! The reconciler's pending orders read from the merchant's own table.

mod support;

use multicard_api::fulfilment::LedgerError;
use multicard_api::reconcile::Pending;
use multicard_ledger_postgres::pending_orders;

#[tokio::test]
async fn pending_orders_come_from_the_merchants_query_and_a_null_key_is_an_error() {
    let Some(db) = support::database("pending").await else { return };
    let pool = db.pool(2).await;
    sqlx::raw_sql(
        "CREATE TABLE orders (id text PRIMARY KEY, store int, made timestamptz, tiyin bigint, payment text, state text);
         INSERT INTO orders VALUES
           ('order-1', 6, '2026-12-01 10:00:00+05', 150000, NULL, 'awaiting'),
           ('order-2', 6, '2026-12-01 11:00:00+05', NULL, 'e60d8ebc-b9fe-11ef-b159-005056b4367d', 'awaiting'),
           ('order-3', 6, '2026-12-01 12:00:00+05', 1, NULL, 'paid');",
    )
    .execute(&pool)
    .await
    .unwrap();
    let query = "SELECT store AS store_id, id AS invoice_id, made AS created_at, tiyin AS expected_amount, \
                 payment AS payment_uuid FROM orders WHERE state = 'awaiting' ORDER BY id";
    let pending = pending_orders(&pool, query).await.unwrap();
    assert_eq!(pending.len(), 2, "{pending:?}");
    assert!(matches!(&pending[0], Pending::Order { invoice_id, store_id, created_at, .. }
        if invoice_id == "order-1" && store_id == "6" && created_at.to_rfc3339() == "2026-12-01T05:00:00+00:00"));
    assert_eq!(pending[0].expected_amount(), Some(150_000));
    assert_eq!(pending[1].uuid(), Some("e60d8ebc-b9fe-11ef-b159-005056b4367d"));
    assert_eq!((pending[1].store_id(), pending[1].invoice_id()), (Some("6"), Some("order-2")));

    // An order the sweep could not look up is an error naming its row.
    sqlx::raw_sql("UPDATE orders SET made = NULL WHERE id = 'order-2'").execute(&pool).await.unwrap();
    let error = pending_orders(&pool, query).await.unwrap_err();
    assert!(
        matches!(&error, LedgerError::Storage(text) if text.contains("row 1") && text.contains("created_at")),
        "{error}"
    );
    // A query without the columns is the database's error, not a panic.
    assert!(pending_orders(&pool, "SELECT 1 AS nothing").await.is_err());
    drop(pool);
    db.drop_database().await;
}
