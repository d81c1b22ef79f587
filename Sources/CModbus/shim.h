// Debian's libmodbus (libmodbus-dev): RTU framing, CRC, timeouts and exception responses are the library's.
#include <modbus.h>
#include <errno.h>

static inline int cmodbus_errno(void) { return errno; }
