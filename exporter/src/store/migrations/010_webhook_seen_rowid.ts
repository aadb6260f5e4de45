// webhook_seen keyed for cheap inserts (issue 17). Before: a rowid table plus two text indexes,
// the primary key (webhook_id, original_delivery_id) on random ids and first_seen_at. Now: the
// rowid is the insertion order (appends only), one unique index on an integer hash of the two ids
// (store/seen-key.ts; the texts are kept and compared, and a key whose hash is taken is stored
// with a null hash, so a collision never drops a delivery),
// and retention walks the rowid order instead of a first_seen_at index. Existing keys are carried
// over in first-seen order, so a redelivery of anything received before the upgrade is still a
// duplicate. (Numbered 010: main has 007–009 (store rates) by now; renumber freely before a release.)
import { sql, type Kysely } from 'kysely';
import { SEEN_KEY_SQL_FUNCTION } from '../seen-key.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table webhook_seen_next (
    id integer primary key,
    key integer,
    webhook_id text not null,
    original_delivery_id text not null,
    first_seen_at integer not null
  )`.execute(db);
  // The first key of each hash keeps it; any other (a collision) gets null, as the writer does.
  await sql`insert into webhook_seen_next (key, webhook_id, original_delivery_id, first_seen_at)
    select case when row_number() over (partition by h order by first_seen_at, rowid) = 1 then h end,
           webhook_id, original_delivery_id, first_seen_at
    from (select ${sql.raw(SEEN_KEY_SQL_FUNCTION)}(webhook_id, original_delivery_id) as h, rowid, * from webhook_seen)
    order by first_seen_at, rowid`.execute(db);
  await sql`drop table webhook_seen`.execute(db); // and its indexes
  await sql`alter table webhook_seen_next rename to webhook_seen`.execute(db);
  await sql`create unique index webhook_seen_key on webhook_seen (key)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create table webhook_seen_prev (
    webhook_id text not null,
    original_delivery_id text not null,
    first_seen_at integer not null,
    constraint webhook_seen_pk primary key (webhook_id, original_delivery_id)
  )`.execute(db);
  await sql`insert or ignore into webhook_seen_prev select webhook_id, original_delivery_id, first_seen_at from webhook_seen order by id`.execute(db);
  await sql`drop table webhook_seen`.execute(db);
  await sql`alter table webhook_seen_prev rename to webhook_seen`.execute(db);
  await sql`create index webhook_seen_first_seen on webhook_seen (first_seen_at)`.execute(db);
}
