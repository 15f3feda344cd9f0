DROP INDEX threads_board_solved;
DROP INDEX threads_board_staff_answered;
DROP INDEX threads_board_unanswered;
DROP TABLE mod_log;
DROP TABLE flags;
