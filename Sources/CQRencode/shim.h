#ifndef CQRENCODE_SHIM_H
#define CQRENCODE_SHIM_H

/* libqrencode (Debian libqrencode-dev): QRcode_encodeString and QRcode_free are plain functions, so Swift calls them
   directly and this header only brings them in. */
#include <qrencode.h>

#endif
