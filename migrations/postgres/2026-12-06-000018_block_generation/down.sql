DROP TRIGGER account_blocks_moves_generation ON account_blocks;
DROP FUNCTION move_block_generation();
DROP TABLE block_generation;
