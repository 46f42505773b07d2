-- A counter that moves whenever account_blocks changes (an account disabled or enabled), so that
-- each gateway can keep every account's token not-before in memory, poll this one row a few
-- times a second, and re-read the (small) table only when the counter moved. Triggers, not the
-- service, move it, so no write path can forget to; it moves in the same transaction as the
-- change, so a reader that sees the new counter sees the change.
CREATE TABLE block_generation (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO block_generation (id, generation) VALUES (1, 0);

CREATE TRIGGER account_blocks_insert_moves_generation AFTER INSERT ON account_blocks
BEGIN
    UPDATE block_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER account_blocks_update_moves_generation AFTER UPDATE ON account_blocks
BEGIN
    UPDATE block_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER account_blocks_delete_moves_generation AFTER DELETE ON account_blocks
BEGIN
    UPDATE block_generation SET generation = generation + 1 WHERE id = 1;
END;
