// libgpiod, the v1 API (1.6: Debian 12, Raspberry Pi OS bookworm). libgpiod 2.x replaced it with request and
// config objects; this backend does not speak v2 yet and says so at build time rather than failing obscurely.
#include <gpiod.h>
#include <errno.h>

#ifndef GPIOD_LINE_BULK_MAX_LINES
#error "libgpiod 2.x found: the GPIO backend supports the libgpiod 1.x (v1) API only (Debian 12 / Raspberry Pi OS ship 1.6)"
#endif

static inline int cgpiod_errno(void) { return errno; }

/// Requests one line: output (initial value) or input with events on both edges; flags carry active-low.
static inline int cgpiod_request(struct gpiod_line *line, const char *consumer, int output, int active_low, int initial) {
    struct gpiod_line_request_config config = {
        .consumer = consumer,
        .request_type = output ? GPIOD_LINE_REQUEST_DIRECTION_OUTPUT : GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES,
        .flags = active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0,
    };
    return gpiod_line_request(line, &config, initial);
}

/// Waits up to `timeout_ns` for an edge: 1 rising, 0 falling (logical, after active-low), -2 timeout, -1 error.
static inline int cgpiod_wait_edge(struct gpiod_line *line, long timeout_ns) {
    struct timespec timeout = { .tv_sec = timeout_ns / 1000000000L, .tv_nsec = timeout_ns % 1000000000L };
    int ready = gpiod_line_event_wait(line, &timeout);
    if (ready < 0) return -1;
    if (ready == 0) return -2;
    struct gpiod_line_event event;
    if (gpiod_line_event_read(line, &event) != 0) return -1;
    return event.event_type == GPIOD_LINE_EVENT_RISING_EDGE ? 1 : 0;
}
