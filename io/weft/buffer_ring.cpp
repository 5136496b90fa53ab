#include <weft/buffer_ring.hpp>
