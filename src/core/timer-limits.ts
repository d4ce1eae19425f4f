/** The longest delay a Node.js timer honours; a longer one fires after 1 ms instead. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
