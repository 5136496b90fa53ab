#include <weft/barrier.hpp>
