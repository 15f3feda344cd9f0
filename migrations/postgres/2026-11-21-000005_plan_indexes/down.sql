DROP INDEX threads_board_pinned;
DROP INDEX pending_logins_user;
