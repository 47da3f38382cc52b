# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# Safe here because every index below is checked against the buffer length by hand, no index is
# negative, and no division has a zero or negative divisor.
"""The hot path, compiled: the twin of ``_verify_py.py``.

Both twins accept and reject exactly the same inputs and raise the same classes with the same
messages; a change to one lands in the other in the same commit. tests/core/test_verify_twin_parity.py holds
them to it.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_Copy, PyDict_DelItem, PyDict_GetItem, PyDict_SetItem, PyDict_Size
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.list cimport PyList_AsTuple, PyList_GET_ITEM, PyList_GET_SIZE
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.object cimport PyObject
from libc.math cimport isfinite
from libc.stdint cimport uint64_t
from libc.string cimport memchr, memcmp, memcpy, memset

import json
import math
import os
from collections import namedtuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from hashlib import sha256

from ._constants import (
    ALLOWED_ALGORITHMS,
    B64URL_ALPHABET,
    CLAIM_AUD,
    CLAIM_CLIENT_ID,
    CLAIM_EXP,
    CLAIM_GROUPS,
    CLAIM_IAT,
    CLAIM_ISS,
    CLAIM_NBF,
    CLAIM_SCOPE,
    CLAIM_TOKEN_USE,
    FORBIDDEN_HEADER_PARAMETERS,
    HEADER_CACHE_SIZE,
    MAX_HEADER_SEGMENT_CHARS,
    MAX_JSON_DEPTH,
    NUMERIC_CLAIMS,
    REQUIRED_CLAIMS,
    SHA256_DIGEST_INFO,
    STRING_CLAIMS,
    TOKEN_USES,
)
from ._validate import reject_constant, unique_object
from .claims import Claims, split_scope
from .exceptions import (
    ConfigurationError,
    ExpiredTokenError,
    InvalidClientError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenUseError,
    MalformedTokenError,
    MissingGroupError,
    MissingScopeError,
    NotYetValidError,
    UnsupportedAlgorithmError,
)

cdef extern from "Python.h":
    # Macros over a ready str (every str is ready since 3.12; before, only deprecated legacy
    # APIs make unready ones). An ASCII str stores one byte per character.
    bint PyUnicode_IS_ASCII(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    int PyUnicode_KIND(object)
    void* PyUnicode_DATA(object)
    object PyUnicode_DecodeASCII(const char*, Py_ssize_t, const char*)
    object PyLong_FromUnsignedLongLong(unsigned long long)
    object PyLong_FromLongLong(long long)
    double PyLong_AsDouble(object) except? -1.0
    object PyUnicode_New(Py_ssize_t, Py_UCS4)

cdef extern from *:
    # A dict with room for n items. _PyDict_NewPresized is in every CPython this builds for;
    # elsewhere a plain dict does the same job, resizing as it fills.
    """
    #if !defined(PYPY_VERSION) && !defined(Py_LIMITED_API) && PY_VERSION_HEX < 0x030E0000
    #define __fastcognito_dict_presized(n) _PyDict_NewPresized(n)
    #else
    #define __fastcognito_dict_presized(n) PyDict_New()
    #endif
    """
    dict _dict_presized "__fastcognito_dict_presized"(Py_ssize_t)

cdef extern from *:
    # What object.__new__(cls) then setting a slot through its member descriptor do, for a
    # concrete class with __slots__ (Claims), without the two Python-level calls.
    """
    static PyObject* __fastcognito_new_with_slot(PyObject* cls, PyObject* slot, PyObject* value) {
        PyTypeObject* type = (PyTypeObject*)cls;
        PyObject* obj = type->tp_alloc(type, 0);
        if (obj == NULL) return NULL;
        if (Py_TYPE(slot)->tp_descr_set(slot, obj, value) < 0) {
            Py_DECREF(obj);
            return NULL;
        }
        return obj;
    }
    """
    object _new_with_slot "__fastcognito_new_with_slot"(object cls, object slot, object value)

cdef extern from *:
    # Vector code for the two loops that touch every byte of a token: base64url decoding and
    # the scan of JSON strings. SSE2 is part of x86-64, so the string scan needs no check; the
    # AVX2 decoder is compiled for AVX2 alone and chosen at import when the CPU has it. Other
    # compilers and CPUs (MSVC, ARM) take the scalar loops, which give the same answers.
    """
    #if defined(__GNUC__) && defined(__x86_64__) && !defined(FASTCOGNITO_SCALAR_ONLY)
    #include <immintrin.h>
    #define __FASTCOGNITO_X86 1
    #endif

    /* 1 when the CPU runs AVX2 code (and the OS saves its registers). */
    static int __fastcognito_cpu_has_avx2(void) {
    #ifdef __FASTCOGNITO_X86
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    #else
        return 0;
    #endif
    }

    /* Decodes the blocks of 32 base64url characters at the start of src[:n] into 24 bytes each,
       and returns how many characters it consumed (a multiple of 32, the rest left to the scalar
       loop), or -1 when a block holds a byte outside the alphabet (RFC 4648 section 5). */
    #ifdef __FASTCOGNITO_X86
    __attribute__((target("avx2")))
    static Py_ssize_t __fastcognito_b64url_blocks_avx2(const unsigned char* src, Py_ssize_t n,
                                                        unsigned char* dst) {
        Py_ssize_t i = 0;
        /* The alphabet by nibbles (the method of Mula and Lemire for standard base64): each high
           nibble falls in a class (bits below), and lo_bad[low nibble] holds the classes in which
           that low nibble is not a base64url character. Classes: 0x01 high nibble 0, 1, 8-F
           (nothing, so no byte >= 0x80); 0x02 '-' only (low D); 0x04 digits (low 0-9); 0x08
           'A'-'O' and 'a'-'o' (low 1-F); 0x10 'P'-'Z' (low 0-A) and '_' (low F); 0x20 'p'-'z'
           (low 0-A). */
        const __m256i nibble = _mm256_set1_epi8(0x0F);
        const __m256i lo_bad = _mm256_setr_epi8(
            0x0B, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x07, 0x37, 0x37, 0x35, 0x37, 0x27,
            0x0B, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x07, 0x37, 0x37, 0x35, 0x37, 0x27);
        const __m256i hi_class = _mm256_setr_epi8(
            0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x08, 0x20, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
            0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x08, 0x20, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01);
        /* Added to a character to give its 6-bit value, by high nibble; '_' (high nibble 5, as
           'P'-'Z') takes 33 more. */
        const __m256i shift = _mm256_setr_epi8(
            0, 0, 62 - '-', 52 - '0', -'A', -'A', 26 - 'a', 26 - 'a', 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 62 - '-', 52 - '0', -'A', -'A', 26 - 'a', 26 - 'a', 0, 0, 0, 0, 0, 0, 0, 0);
        const __m256i underscore = _mm256_set1_epi8('_'), underscore_more = _mm256_set1_epi8(63 - '_' + 'A');
        /* 6-bit values a b c d to a<<18 | b<<12 | c<<6 | d in each 32-bit lane, then its three
           bytes in big-endian order, 12 per 128-bit lane, then the 24 bytes side by side. */
        const __m256i pairs = _mm256_set1_epi32(0x01400140), quads = _mm256_set1_epi32(0x00011000);
        const __m256i order = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                                               2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
        const __m256i compact = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
        while (i + 32 <= n) {
            __m256i c = _mm256_loadu_si256((const __m256i*)(src + i));
            __m256i hi = _mm256_and_si256(_mm256_srli_epi32(c, 4), nibble);
            __m256i lo = _mm256_and_si256(c, nibble);
            if (!_mm256_testz_si256(_mm256_shuffle_epi8(lo_bad, lo), _mm256_shuffle_epi8(hi_class, hi))) {
                return -1;
            }
            __m256i v = _mm256_add_epi8(_mm256_add_epi8(c, _mm256_shuffle_epi8(shift, hi)),
                                        _mm256_and_si256(_mm256_cmpeq_epi8(c, underscore), underscore_more));
            v = _mm256_madd_epi16(_mm256_maddubs_epi16(v, pairs), quads);
            v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, order), compact);
            /* Exactly 24 bytes: nothing is written past the output. */
            _mm_storeu_si128((__m128i*)dst, _mm256_castsi256_si128(v));
            _mm_storel_epi64((__m128i*)(dst + 16), _mm256_extracti128_si256(v, 1));
            dst += 24;
            i += 32;
        }
        return i;
    }
    #else
    static Py_ssize_t __fastcognito_b64url_blocks_avx2(const unsigned char* src, Py_ssize_t n,
                                                        unsigned char* dst) {
        return 0;
    }
    #endif

    /* The index of the first byte of s[i:n] that is not printable ASCII or is '"' or a backslash,
       16 bytes at a time, or the index where fewer than 16 bytes remain: the caller's scalar loop
       finishes from there. */
    static Py_ssize_t __fastcognito_skip_plain16(const unsigned char* s, Py_ssize_t n, Py_ssize_t i) {
    #ifdef __FASTCOGNITO_X86
        const __m128i below = _mm_set1_epi8(0x20 - 1), above = _mm_set1_epi8(0x7F);
        const __m128i quote = _mm_set1_epi8(0x22), backslash = _mm_set1_epi8(0x5C);
        while (i + 16 <= n) {
            __m128i c = _mm_loadu_si128((const __m128i*)(s + i));
            __m128i printable = _mm_and_si128(_mm_cmpgt_epi8(c, below), _mm_cmplt_epi8(c, above));
            __m128i special = _mm_or_si128(_mm_cmpeq_epi8(c, quote), _mm_cmpeq_epi8(c, backslash));
            int stop = _mm_movemask_epi8(_mm_andnot_si128(special, printable)) ^ 0xFFFF;
            if (stop) return i + __builtin_ctz((unsigned int)stop);
            i += 16;
        }
    #endif
        return i;
    }

    /* 1 for a byte a string may hold on the fast path: printable ASCII but '"' and backslash. */
    static inline int __fastcognito_plain(unsigned char c) {
        return c >= 0x20 && c < 0x7F && c != 0x22 && c != 0x5C;
    }

    #ifdef __FASTCOGNITO_X86
    /* Bit k of *quote, *comma, *bad for byte p[k], k < 64: '"', ',', and a byte no fast-path
       string may hold (below 0x20, 0x7F and above, backslash). */
    static void __fastcognito_masks64_sse2(const unsigned char* p, uint64_t* quote, uint64_t* comma,
                                           uint64_t* bad) {
        const __m128i below = _mm_set1_epi8(0x20 - 1), above = _mm_set1_epi8(0x7F);
        const __m128i dquote = _mm_set1_epi8(0x22), dcomma = _mm_set1_epi8(0x2C);
        const __m128i backslash = _mm_set1_epi8(0x5C);
        uint64_t q = 0, c = 0, b = 0;
        int k;
        for (k = 0; k < 4; k++) {
            __m128i v = _mm_loadu_si128((const __m128i*)(p + 16 * k));
            __m128i printable = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
            q |= (uint64_t)(unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(v, dquote)) << (16 * k);
            c |= (uint64_t)(unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(v, dcomma)) << (16 * k);
            b |= (uint64_t)(unsigned int)(_mm_movemask_epi8(_mm_andnot_si128(printable, _mm_set1_epi8(-1)))
                                          | _mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash))) << (16 * k);
        }
        *quote = q; *comma = c; *bad = b;
    }

    __attribute__((target("avx2")))
    static void __fastcognito_masks64_avx2(const unsigned char* p, uint64_t* quote, uint64_t* comma,
                                           uint64_t* bad) {
        const __m256i below = _mm256_set1_epi8(0x20 - 1), above = _mm256_set1_epi8(0x7F);
        const __m256i dquote = _mm256_set1_epi8(0x22), dcomma = _mm256_set1_epi8(0x2C);
        const __m256i backslash = _mm256_set1_epi8(0x5C);
        __m256i lo = _mm256_loadu_si256((const __m256i*)p), hi = _mm256_loadu_si256((const __m256i*)(p + 32));
        __m256i printable_lo = _mm256_and_si256(_mm256_cmpgt_epi8(lo, below), _mm256_cmpgt_epi8(above, lo));
        __m256i printable_hi = _mm256_and_si256(_mm256_cmpgt_epi8(hi, below), _mm256_cmpgt_epi8(above, hi));
        __m256i bad_lo = _mm256_or_si256(_mm256_cmpeq_epi8(printable_lo, _mm256_setzero_si256()),
                                         _mm256_cmpeq_epi8(lo, backslash));
        __m256i bad_hi = _mm256_or_si256(_mm256_cmpeq_epi8(printable_hi, _mm256_setzero_si256()),
                                         _mm256_cmpeq_epi8(hi, backslash));
        *quote = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, dquote))
                 | (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, dquote)) << 32;
        *comma = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, dcomma))
                 | (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, dcomma)) << 32;
        *bad = (uint64_t)(uint32_t)_mm256_movemask_epi8(bad_lo)
               | (uint64_t)(uint32_t)_mm256_movemask_epi8(bad_hi) << 32;
    }
    #endif

    /* For an array whose '[' is at s[i - 1] and whose items are all strings of plain bytes (the
       common kind: cognito:groups), the index just past its ']'; -1 for any other array, which
       the caller then reads item by item, so this decides nothing the item loop would not.

       The grammar, [ "plain*" ( , "plain*" )* ], as a state machine: 0 before an opening quote
       (after '[' or ','), 1 inside a string, 2 after a closing quote. 64 bytes at a time while
       64 remain: plain strings hold no '"', so the bytes inside strings are the prefix XOR of
       the quotes (as simdjson finds them), and the grammar becomes checks on bit masks. */
    static Py_ssize_t __fastcognito_skip_string_array(const unsigned char* s, Py_ssize_t n, Py_ssize_t i,
                                                      int avx2) {
        int state = 0;
    #ifdef __FASTCOGNITO_X86
        while (i + 64 <= n) {
            uint64_t quote, comma, bad, inside, closing, outside, other, before, commas;
            uint64_t prev_closing = state == 2, prev_comma = state == 0;
            if (avx2) {
                __fastcognito_masks64_avx2(s + i, &quote, &comma, &bad);
            } else {
                __fastcognito_masks64_sse2(s + i, &quote, &comma, &bad);
            }
            inside = quote;
            inside ^= inside << 1; inside ^= inside << 2; inside ^= inside << 4;
            inside ^= inside << 8; inside ^= inside << 16; inside ^= inside << 32;
            if (state == 1) inside = ~inside;
            /* An opening quote and the string after it are inside; a closing quote is not. */
            closing = quote & ~inside;
            outside = ~inside & ~quote;
            /* The first byte outside strings that is not a comma ends the array (or breaks it). */
            other = outside & ~comma;
            before = other ? (other & (0 - other)) - 1 : ~(uint64_t)0;
            commas = outside & comma & before;
            if (bad & before) return -1;
            /* A comma comes after a closing quote, and an opening quote after a comma or '[':
               the byte after a comma is a quote, and no quote follows a closing one. */
            if (commas & ~((closing << 1) | prev_closing)) return -1;
            if (prev_comma && !(quote & 1)) return -1;
            if (commas & ~(quote >> 1) & ~((uint64_t)1 << 63)) return -1;
            if (((closing << 1) | prev_closing) & quote & before) return -1;
            if (other) {
                int end = __builtin_ctzll(other);
                if (s[i + end] != 0x5D) return -1;
                if (!(end ? (closing >> (end - 1)) & 1 : prev_closing)) return -1;
                return i + end + 1;
            }
            state = (inside >> 63) ? 1 : (closing >> 63) ? 2 : 0;
            i += 64;
        }
    #endif
        for (; i < n; i++) {
            unsigned char c = s[i];
            if (state == 1) {
                if (c == 0x22) state = 2;
                else if (!__fastcognito_plain(c)) return -1;
            } else if (state == 0) {
                if (c != 0x22) return -1;
                state = 1;
            } else if (c == 0x2C) {
                state = 0;
            } else {
                return c == 0x5D ? i + 1 : -1;
            }
        }
        return -1;
    }
    """
    bint _cpu_has_avx2 "__fastcognito_cpu_has_avx2"() noexcept nogil
    Py_ssize_t _b64url_blocks_avx2 "__fastcognito_b64url_blocks_avx2"(
        const unsigned char* src, Py_ssize_t n, unsigned char* dst) noexcept nogil
    Py_ssize_t _skip_plain16 "__fastcognito_skip_plain16"(
        const unsigned char* s, Py_ssize_t n, Py_ssize_t i) noexcept nogil
    Py_ssize_t _skip_string_array "__fastcognito_skip_string_array"(
        const unsigned char* s, Py_ssize_t n, Py_ssize_t i, bint avx2) noexcept nogil


__all__ = [
    "CacheInfo",
    "ClaimsCache",
    "VerifierCore",
    "b64url_decode",
    "decode_header",
    "json_too_deep",
    "token_text",
]

CacheInfo = namedtuple("CacheInfo", ["hits", "misses", "size", "maxsize"])

cdef object _PKCS1V15 = PKCS1v15()
cdef object _sha256 = sha256
cdef bytes _DIGEST_INFO = SHA256_DIGEST_INFO
cdef object _InvalidSignature = InvalidSignature
cdef object _Claims = Claims
# The member descriptor of the `_data` slot.
cdef object _CLAIMS_DATA_SLOT = Claims.__dict__["_data"]

# 256-entry table: the 6-bit value of each base64url character, -1 for every other byte.
cdef signed char _B64_VALUES[256]
cdef Py_ssize_t _i
for _i in range(256):
    _B64_VALUES[_i] = -1
for _i in range(len(B64URL_ALPHABET)):
    _B64_VALUES[ord(B64URL_ALPHABET[_i])] = <signed char>_i

# Whether the AVX2 code runs: decided once, from the CPU (tests switch it off to check that the
# other loops give the same answers).
cdef bint _AVX2 = _cpu_has_avx2()

cdef str _B64_LENGTH = "a segment is not valid base64url: impossible length"
cdef str _B64_ALPHABET = "a segment is not valid base64url: character outside the alphabet"
cdef str _B64_TRAILING = "a segment is not valid base64url: non-canonical trailing bits"

# The seed of the claims cache's token hash, fresh in every process.
cdef uint64_t _HASH_SEED = int.from_bytes(os.urandom(8), "little")


# Built once: json.loads with any keyword builds a new JSONDecoder on every call.
# NaN and Infinity are not JSON (RFC 8259 §6); header members must be unique (RFC 7515 §5.2).
cdef object _PAYLOAD_DECODER = json.JSONDecoder(parse_constant=reject_constant)
cdef object _HEADER_DECODER = json.JSONDecoder(
    parse_constant=reject_constant, object_pairs_hook=unique_object
)
cdef object _PAYLOAD_SCAN = _PAYLOAD_DECODER.scan_once

# Returned by the fast JSON parser for any input it leaves to the json module.
cdef object _NOT_HANDLED = object()


# --- base64url (RFC 4648 §5) ----------------------------------------------------------------


cdef inline Py_ssize_t _b64url_decoded_size(Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t rest = n & 3
    return (n >> 2) * 3 + (rest - 1 if rest else 0)


cdef int _b64url_decode_into(const unsigned char* src, Py_ssize_t n, unsigned char* dst) noexcept nogil:
    """Decode ``n`` characters (``n % 4 != 1``) into ``dst``. One pass checks the alphabet and the
    trailing bits: 0 is valid, 1 a character outside the alphabet, 2 non-canonical trailing bits."""
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t full = n - (n & 3)
    cdef int a, b, c, d
    cdef unsigned int v
    if _AVX2 and n >= 32:
        i = _b64url_blocks_avx2(src, n, dst)
        if i < 0:
            return 1
        dst += (i >> 2) * 3
    while i < full:
        a = _B64_VALUES[src[i]]
        b = _B64_VALUES[src[i + 1]]
        c = _B64_VALUES[src[i + 2]]
        d = _B64_VALUES[src[i + 3]]
        # Every value is -1 or 0..63, so one sign test finds an invalid character.
        if (a | b | c | d) < 0:
            return 1
        v = (<unsigned int>a << 18) | (<unsigned int>b << 12) | (<unsigned int>c << 6) | <unsigned int>d
        dst[0] = <unsigned char>(v >> 16)
        dst[1] = <unsigned char>(v >> 8)
        dst[2] = <unsigned char>v
        dst += 3
        i += 4
    if n - full == 2:
        a = _B64_VALUES[src[i]]
        b = _B64_VALUES[src[i + 1]]
        if (a | b) < 0:
            return 1
        # 2 chars carry 12 bits for 8: the 4 unused bits must be 0 (RFC 4648 §3.5).
        if b & 0x0F:
            return 2
        dst[0] = <unsigned char>((a << 2) | (b >> 4))
    elif n - full == 3:
        a = _B64_VALUES[src[i]]
        b = _B64_VALUES[src[i + 1]]
        c = _B64_VALUES[src[i + 2]]
        if (a | b | c) < 0:
            return 1
        # 3 chars carry 18 bits for 16: the 2 unused bits must be 0.
        if c & 0x03:
            return 2
        dst[0] = <unsigned char>((a << 2) | (b >> 4))
        dst[1] = <unsigned char>(((b & 0x0F) << 4) | (c >> 2))
    return 0


cdef bytes _b64url_decode_ascii(const char* src, Py_ssize_t n):
    """Strict base64url of ``n`` ASCII bytes, raising ``MalformedTokenError``."""
    if (n & 3) == 1:
        raise MalformedTokenError(_B64_LENGTH)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, _b64url_decoded_size(n))
    cdef int status = _b64url_decode_into(<const unsigned char*>src, n, <unsigned char*>PyBytes_AS_STRING(out))
    if status == 1:
        raise MalformedTokenError(_B64_ALPHABET)
    if status == 2:
        raise MalformedTokenError(_B64_TRAILING)
    return out


# --- the token hash of the claims cache -----------------------------------------------------


cdef inline uint64_t _load64(const unsigned char* p) noexcept nogil:
    # Byte by byte: portable for any alignment and endianness; compilers fuse it into one load.
    return (<uint64_t>p[0] | (<uint64_t>p[1] << 8) | (<uint64_t>p[2] << 16) | (<uint64_t>p[3] << 24)
            | (<uint64_t>p[4] << 32) | (<uint64_t>p[5] << 40) | (<uint64_t>p[6] << 48)
            | (<uint64_t>p[7] << 56))


cdef inline uint64_t _mix(uint64_t h) noexcept nogil:
    # The 64-bit finaliser of MurmurHash3.
    h ^= h >> 33
    h *= 0xFF51AFD7ED558CCDULL
    h ^= h >> 33
    h *= 0xC4CEB9FE1A85EC53ULL
    h ^= h >> 33
    return h


cdef enum:
    # How many bytes at the end of a token the cache key hashes: for a JWT, the end of its
    # signature (a part that is cheap to hash; a hit compares the whole token), 48 bytes of RSA
    # output.
    _KEY_BYTES = 64


cdef uint64_t _token_hash(const unsigned char* p, Py_ssize_t n) noexcept nogil:
    """A seeded multiply-rotate hash of a token's length and of its last _KEY_BYTES bytes.

    Python's str hash (SipHash) costs more than the rest of a cache hit on a 1 KiB token, and a
    hash of every byte grows with the token (200 groups make it 5 kB); this one costs the same
    for any token. It only spreads keys in the cache's dict: a hit still compares the whole
    token, byte for byte, and only verified tokens are stored, so two tokens that end alike
    (anyone can forge an ending, never a valid signature) cost a miss, never a wrong hit.
    """
    cdef uint64_t k = 0x9E3779B97F4A7C15ULL
    cdef uint64_t h0 = _HASH_SEED ^ <uint64_t>n
    cdef uint64_t h1 = h0 + k
    cdef uint64_t h2 = h1 + k
    cdef uint64_t h3 = h2 + k
    cdef Py_ssize_t i = 0
    cdef unsigned char tail[8]
    cdef Py_ssize_t j
    if n > _KEY_BYTES:
        p += n - _KEY_BYTES
        n = _KEY_BYTES
    while i + 32 <= n:
        h0 = (h0 ^ _load64(p + i)) * 0x87C37B91114253D5ULL
        h1 = (h1 ^ _load64(p + i + 8)) * 0x87C37B91114253D5ULL
        h2 = (h2 ^ _load64(p + i + 16)) * 0x87C37B91114253D5ULL
        h3 = (h3 ^ _load64(p + i + 24)) * 0x87C37B91114253D5ULL
        h0 = (h0 << 31) | (h0 >> 33)
        h1 = (h1 << 31) | (h1 >> 33)
        h2 = (h2 << 31) | (h2 >> 33)
        h3 = (h3 << 31) | (h3 >> 33)
        i += 32
    while i + 8 <= n:
        h0 = (h0 ^ _load64(p + i)) * 0x87C37B91114253D5ULL
        h0 = (h0 << 31) | (h0 >> 33)
        i += 8
    if i < n:
        for j in range(8):
            tail[j] = p[i + j] if i + j < n else 0
        h1 = (h1 ^ _load64(tail)) * 0x87C37B91114253D5ULL
    return _mix(_mix(h0) ^ _mix(h1 + 1) ^ _mix(h2 + 2) ^ _mix(h3 + 3))


cdef inline uint64_t _str_hash(str text) noexcept:
    # Equal strs have the same kind and the same bytes (CPython's canonical representation).
    return _token_hash(
        <const unsigned char*>PyUnicode_DATA(text),
        PyUnicode_GET_LENGTH(text) * PyUnicode_KIND(text),
    ) ^ <uint64_t>PyUnicode_KIND(text)


# --- JSON -----------------------------------------------------------------------------------


cdef Py_ssize_t _MAX_JSON_DEPTH = MAX_JSON_DEPTH


cdef bint _json_too_deep(const unsigned char* s, Py_ssize_t n) noexcept nogil:
    """Whether arrays and objects nest more than MAX_JSON_DEPTH deep in the UTF-8 text s[:n].

    The state machine of _verify_py.json_too_deep, over bytes: every character it looks at is
    ASCII, and no byte of a multi-byte UTF-8 sequence is, so both see the same structure.
    """
    cdef Py_ssize_t i
    cdef Py_ssize_t openers = 0
    cdef Py_ssize_t depth = 0
    cdef bint in_string = False
    cdef unsigned char ch
    for i in range(n):
        if s[i] == 0x5B or s[i] == 0x7B:
            openers += 1
    if openers <= _MAX_JSON_DEPTH:
        return False
    i = 0
    while i < n:
        ch = s[i]
        if in_string:
            if ch == 0x5C:  # backslash: the next character is escaped
                i += 1
            elif ch == 0x22:
                in_string = False
        elif ch == 0x22:
            in_string = True
        elif ch == 0x5B or ch == 0x7B:
            depth += 1
            if depth > _MAX_JSON_DEPTH:
                return True
        elif ch == 0x5D or ch == 0x7D:
            depth -= 1
        i += 1
    return False


cdef object _decode_json_object(bytes raw, str what, bint unique):
    # RFC 7519 §7.2 / RFC 7515 §5.2: UTF-8 JSON objects. json.loads(bytes) would also guess
    # UTF-16/32, so decode UTF-8 strictly first.
    cdef Py_ssize_t end
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedTokenError(f"the {what} is not valid JSON") from err
    if _json_too_deep(<const unsigned char*>PyBytes_AS_STRING(raw), len(raw)):
        raise MalformedTokenError(f"the {what} nests arrays or objects more than {MAX_JSON_DEPTH} deep")
    try:
        if unique:
            value = _HEADER_DECODER.decode(text)
        else:
            try:
                value, end = _PAYLOAD_SCAN(text, 0)
            except StopIteration:
                end = -1
            if end != len(text):
                value = _PAYLOAD_DECODER.decode(text)
    except (ValueError, RecursionError) as err:
        raise MalformedTokenError(f"the {what} is not valid JSON") from err
    if type(value) is not dict:
        raise MalformedTokenError(f"the {what} is not a JSON object")
    return value


cdef inline str _ascii_str(const unsigned char* p, Py_ssize_t n):
    cdef str text = PyUnicode_New(n, 127)
    memcpy(PyUnicode_DATA(text), p, n)
    return text


cdef inline Py_ssize_t _memo_end(object candidate, const unsigned char* s, Py_ssize_t n,
                                  Py_ssize_t start) noexcept:
    """The index of the closing quote of the string whose first character is s[start] when it is
    exactly ``candidate`` (a slot of _MEMO), or -1.

    The tokens of one pool repeat their member names (and issuer, client, token_use...) in the
    same order: reuse the str of an earlier payload when the bytes match, with its hash cached
    too, which the dict insert then skips. Every str in the memo came from _ascii_str over bytes
    _scan_string passed (plain printable ASCII, one byte a character), so equal bytes followed
    by '"' are what _scan_string would find, and it need not look at them again.
    """
    cdef Py_ssize_t length
    if type(candidate) is str:
        length = PyUnicode_GET_LENGTH(candidate)
        if (
            start + length < n
            and s[start + length] == 0x22
            and memcmp(PyUnicode_DATA(candidate), s + start, length) == 0
        ):
            return start + length
    return -1


# 1 for the bytes a string may hold on the fast path: printable ASCII but '"' and '\\'.
cdef unsigned char _PLAIN[256]
for _i in range(256):
    _PLAIN[_i] = 0x20 <= _i < 0x7F and _i != 0x22 and _i != 0x5C


cdef Py_ssize_t _scan_string(const unsigned char* s, Py_ssize_t n, Py_ssize_t start) noexcept nogil:
    """The index of the closing quote of the string whose first character is s[start], or -1
    when it holds anything but printable ASCII without escapes (left to the json module)."""
    cdef Py_ssize_t i = _skip_plain16(s, n, start)
    while i < n and _PLAIN[s[i]]:
        i += 1
    if i < n and s[i] == 0x22:  # "
        return i
    return -1


# --- claim types (step 7) --------------------------------------------------------------------

# What the type checks see in a claim's value.
cdef enum:
    _ABSENT = 0
    _NUMBER = 1    # an int or a finite float, held as a C double
    _STRING = 2
    _STR_LIST = 3  # an array of strings, empty included
    _NULL = 4
    _OTHER = 5

# What each checked claim must be.
cdef enum:
    _MUST_NUMBER = 0
    _MUST_STRING = 1
    _MUST_AUD = 2
    _MUST_GROUPS = 3

cdef enum:
    _MAX_CHECKED = 24

cdef struct _ClaimKinds:
    # Indexed like _CHECKED_NAMES; number is set for the kind _NUMBER only. value is the claim's
    # value, borrowed from the claims dict (which only verify holds until the checks are done),
    # so the checks read it without a dict lookup; set unless the kind is _ABSENT.
    unsigned char kind[_MAX_CHECKED]
    double number[_MAX_CHECKED]
    PyObject* value[_MAX_CHECKED]


# The claims step 7 checks, in the order _verify_py._check_claim_types checks them.
cdef tuple _CHECKED_NAMES = (*NUMERIC_CLAIMS, *STRING_CLAIMS, CLAIM_AUD, CLAIM_GROUPS)
cdef tuple _CHECKED_BYTES = tuple([name.encode("ascii") for name in _CHECKED_NAMES])
cdef Py_ssize_t _N_CHECKED = len(_CHECKED_NAMES)
cdef const unsigned char* _CHECKED_PTR[_MAX_CHECKED]
cdef Py_ssize_t _CHECKED_LEN[_MAX_CHECKED]
cdef unsigned char _CHECKED_MUST[_MAX_CHECKED]
cdef bint _CHECKED_REQUIRED[_MAX_CHECKED]
if (
    _N_CHECKED > _MAX_CHECKED
    or len(set(_CHECKED_NAMES)) != _N_CHECKED
    or not {CLAIM_EXP, CLAIM_IAT} <= REQUIRED_CLAIMS <= set(NUMERIC_CLAIMS)
    or CLAIM_NBF not in NUMERIC_CLAIMS
):
    raise ImportError("fastcognito._constants does not fit the compiled claim checks")
for _i in range(_N_CHECKED):
    _CHECKED_PTR[_i] = <const unsigned char*>PyBytes_AS_STRING(_CHECKED_BYTES[_i])
    _CHECKED_LEN[_i] = len(_CHECKED_BYTES[_i])
    _CHECKED_REQUIRED[_i] = _CHECKED_NAMES[_i] in REQUIRED_CLAIMS
    if _i < len(NUMERIC_CLAIMS):
        _CHECKED_MUST[_i] = _MUST_NUMBER
    elif _i < len(NUMERIC_CLAIMS) + len(STRING_CLAIMS):
        _CHECKED_MUST[_i] = _MUST_STRING
    elif _CHECKED_NAMES[_i] == CLAIM_AUD:
        _CHECKED_MUST[_i] = _MUST_AUD
    else:
        _CHECKED_MUST[_i] = _MUST_GROUPS
cdef Py_ssize_t _EXP = _CHECKED_NAMES.index(CLAIM_EXP)
cdef Py_ssize_t _IAT = _CHECKED_NAMES.index(CLAIM_IAT)
cdef Py_ssize_t _NBF = _CHECKED_NAMES.index(CLAIM_NBF)
cdef Py_ssize_t _ISS = _CHECKED_NAMES.index(CLAIM_ISS)
cdef Py_ssize_t _TOKEN_USE = _CHECKED_NAMES.index(CLAIM_TOKEN_USE)
cdef Py_ssize_t _CLIENT_ID = _CHECKED_NAMES.index(CLAIM_CLIENT_ID)
cdef Py_ssize_t _AUD = _CHECKED_NAMES.index(CLAIM_AUD)


cdef unsigned char _checked_id(const unsigned char* p, Py_ssize_t n) noexcept nogil:
    """1 + the index in _CHECKED_NAMES of the member name p[:n], or 0 for a name not checked."""
    cdef Py_ssize_t i
    for i in range(_N_CHECKED):
        if _CHECKED_LEN[i] == n and memcmp(_CHECKED_PTR[i], p, n) == 0:
            return <unsigned char>(i + 1)
    return 0


cdef unsigned char _kind_of(object value, double* number) except 255:
    cdef Py_ssize_t i
    if value is None:
        return _NULL
    if type(value) is str:
        return _STRING
    if type(value) is float:
        number[0] = PyFloat_AS_DOUBLE(value)
        return _NUMBER if isfinite(number[0]) else _OTHER
    if type(value) is int:
        # The time checks compare as floats; an int too large for one is not a usable date.
        try:
            number[0] = PyLong_AsDouble(value)
        except OverflowError:
            return _OTHER
        return _NUMBER
    if type(value) is list:
        for i in range(PyList_GET_SIZE(value)):
            if type(<object>PyList_GET_ITEM(value, i)) is not str:
                return _OTHER
        return _STR_LIST
    return _OTHER


cdef int _kinds_from_dict(dict claims, _ClaimKinds* kinds) except -1:
    cdef Py_ssize_t i
    cdef PyObject* found
    for i in range(_N_CHECKED):
        found = PyDict_GetItem(claims, <object>PyTuple_GET_ITEM(_CHECKED_NAMES, i))
        kinds.kind[i] = _ABSENT if found is NULL else _kind_of(<object>found, &kinds.number[i])
        kinds.value[i] = found
    return 0


cdef inline object _claim(const _ClaimKinds* kinds, Py_ssize_t i):
    # decoded.get(name) for a checked claim.
    return None if kinds.kind[i] == _ABSENT else <object>kinds.value[i]


cdef int _check_claim_kinds(const _ClaimKinds* kinds) except -1:
    # RFC 7519 §2 NumericDate: a JSON number; booleans, strings and non-finite values are not.
    cdef Py_ssize_t i
    cdef unsigned char kind, must
    for i in range(_N_CHECKED):
        kind = kinds.kind[i]
        must = _CHECKED_MUST[i]
        if must == _MUST_NUMBER:
            if kind == _ABSENT:
                if _CHECKED_REQUIRED[i]:
                    raise MalformedTokenError(f"the claim {_CHECKED_NAMES[i]!r} is missing")
            elif kind != _NUMBER:
                raise MalformedTokenError(f"the claim {_CHECKED_NAMES[i]!r} is not a finite number")
        elif must == _MUST_STRING:
            if kind != _ABSENT and kind != _STRING:
                raise MalformedTokenError(f"the claim {_CHECKED_NAMES[i]!r} is not a string")
        elif must == _MUST_AUD:
            if kind != _ABSENT and kind != _NULL and kind != _STRING and kind != _STR_LIST:
                raise MalformedTokenError(f"the claim {_CHECKED_NAMES[i]!r} is not a string or a list of strings")
        elif kind != _ABSENT and kind != _STR_LIST:
            # Present means a list: `null` would pass for "no groups" and break Claims.groups.
            raise MalformedTokenError(f"the claim {_CHECKED_NAMES[i]!r} is not a list of strings")
    return 0


cdef inline object _as_list(object value):
    # The fast JSON parser makes tuples of arrays; errors report them as the JSON form, a list.
    return list(value) if type(value) is tuple else value


# --- the payload ------------------------------------------------------------------------------


cdef inline object _bytes_like(object previous, const unsigned char* p, Py_ssize_t n):
    # bytes(p[:n]), or ``previous`` when it holds exactly those bytes.
    if type(previous) is bytes and PyBytes_GET_SIZE(previous) == n and memcmp(
        PyBytes_AS_STRING(previous), p, n
    ) == 0:
        return previous
    return PyBytes_FromStringAndSize(<const char*>p, n)


cdef object _fast_scalar(const unsigned char* s, Py_ssize_t n, Py_ssize_t* pos, unsigned char* kind,
                         double* number, object previous=None, long long previous_value=0,
                         long long* integer=NULL):
    """A string, an integer of at most 18 digits, true, false or null at s[pos[0]]. An integer
    is also stored in ``integer``, and when ``previous`` is an int of ``previous_value`` (the
    memo's) and equal, it is ``previous`` itself."""
    cdef Py_ssize_t i = pos[0]
    cdef Py_ssize_t end
    cdef unsigned char ch = s[i]
    cdef long long value = 0
    cdef Py_ssize_t digits = 0
    cdef bint negative = False
    if ch == 0x22:
        end = _scan_string(s, n, i + 1)
        if end < 0:
            return _NOT_HANDLED
        pos[0] = end + 1
        kind[0] = _STRING
        return _ascii_str(s + i + 1, end - i - 1)
    if ch == 0x2D or 0x30 <= ch <= 0x39:
        if ch == 0x2D:
            negative = True
            i += 1
            if i >= n:
                return _NOT_HANDLED
        if s[i] == 0x30:
            i += 1
        else:
            while i < n and 0x30 <= s[i] <= 0x39:
                # The cap before the arithmetic: 18 digits always fit a long long, a 19th may
                # overflow it, and signed overflow is undefined behaviour in C.
                if digits == 18:
                    return _NOT_HANDLED
                value = value * 10 + (s[i] - 0x30)
                digits += 1
                i += 1
            if digits == 0:
                return _NOT_HANDLED
        # A fraction, an exponent or a digit after a leading zero: the json module decides.
        if i < n and (s[i] == 0x2E or s[i] == 0x65 or s[i] == 0x45 or 0x30 <= s[i] <= 0x39):
            return _NOT_HANDLED
        pos[0] = i
        if negative:
            value = -value
        kind[0] = _NUMBER
        # Exact: at most 18 digits, and rounded to nearest as PyLong_AsDouble rounds.
        number[0] = <double>value
        if integer != NULL:
            integer[0] = value
        if type(previous) is int and previous_value == value:
            return previous
        return PyLong_FromLongLong(value)
    if ch == 0x74 and i + 4 <= n and memcmp(s + i, b"true", 4) == 0:
        pos[0] = i + 4
        kind[0] = _OTHER
        return True
    if ch == 0x66 and i + 5 <= n and memcmp(s + i, b"false", 5) == 0:
        pos[0] = i + 5
        kind[0] = _OTHER
        return False
    if ch == 0x6E and i + 4 <= n and memcmp(s + i, b"null", 4) == 0:
        pos[0] = i + 4
        kind[0] = _NULL
        return None
    return _NOT_HANDLED


cdef enum:
    _MEMO_MEMBERS = 64

# The member names and string values of the payloads parsed before, slot by slot (name, value,
# name, value...; see _memo_end), and the _checked_id of each name slot. A slot whose bytes
# differ takes the new str in place: what repeats from token to token (the names, issuer,
# client, token_use, scope) is found again, and what does not (sub, jti...) costs one store.
# A name slot and its id change together, with nothing that can run Python code in between.
cdef list _MEMO = [None] * (2 * _MEMO_MEMBERS)
cdef unsigned char _MEMO_IDS[_MEMO_MEMBERS]
# How many name slots of _MEMO have ever been filled.
cdef Py_ssize_t _MEMO_FILLED = 0
# The value of each slot of _MEMO that holds an int (set with it): compared in C, no call.
cdef long long _MEMO_INTS[2 * _MEMO_MEMBERS]
# How many members the last payload had: the size of the next dict.
cdef Py_ssize_t _LAST_MEMBERS = 0
# (dict, its names, its values) of a payload without a repeated name: the next payload starts as
# a copy of that dict (one copy of its table) while its names come in the same order, and sets
# only the values that differ, where a dict built member by member costs an insertion each. One
# tuple, read once per parse, so its three parts always belong together.
cdef tuple _TEMPLATE = None
cdef unsigned char _GROUPS_ID = _CHECKED_NAMES.index(CLAIM_GROUPS) + 1


cdef int _memo_swap(list memo, Py_ssize_t a, Py_ssize_t b) except -1:
    # Slots a and b of _MEMO trade names, values, ids and ints, with nothing in between that can
    # run Python code (each object is held here while it moves).
    cdef object name = memo[2 * a]
    cdef object value = memo[2 * a + 1]
    cdef unsigned char cid = _MEMO_IDS[a]
    cdef long long integer = _MEMO_INTS[2 * a + 1]
    memo[2 * a] = memo[2 * b]
    memo[2 * a + 1] = memo[2 * b + 1]
    _MEMO_IDS[a] = _MEMO_IDS[b]
    _MEMO_INTS[2 * a + 1] = _MEMO_INTS[2 * b + 1]
    memo[2 * b] = name
    memo[2 * b + 1] = value
    _MEMO_IDS[b] = cid
    _MEMO_INTS[2 * b + 1] = integer
    return 0


cdef object _fast_array(const unsigned char* s, Py_ssize_t n, Py_ssize_t* pos, unsigned char* kind,
                        bint build, object previous):
    """The array at s[pos[0]] (its '['), of the scalars _fast_scalar takes, or _NOT_HANDLED.

    ``build``: a tuple of its items. Otherwise the bytes of its JSON text, which Claims decodes
    when the claim is first read: strings are checked, not made (an empty array is () either
    way). Both take exactly the same inputs, so deferring never changes what is accepted.
    ``kind`` is _STR_LIST when every item is a string, _OTHER otherwise. JSON text equal to
    ``previous`` (the memo's bytes: users share groups) is ``previous`` itself.
    """
    cdef Py_ssize_t start = pos[0]
    cdef Py_ssize_t i = start + 1
    cdef Py_ssize_t end
    cdef list items = [] if build else None
    cdef object item
    cdef unsigned char item_kind
    cdef double item_number
    kind[0] = _STR_LIST
    if i < n and s[i] == 0x5D:  # ]
        pos[0] = i + 1
        return ()
    if not build:
        end = _skip_string_array(s, n, i, _AVX2)
        if end >= 0:
            pos[0] = end
            return _bytes_like(previous, s + start, end - start)
    while True:
        if i >= n:
            return _NOT_HANDLED
        if s[i] == 0x22 and not build:
            end = _scan_string(s, n, i + 1)
            if end < 0:
                return _NOT_HANDLED
            i = end + 1
        else:
            item = _fast_scalar(s, n, &i, &item_kind, &item_number)
            if item is _NOT_HANDLED:
                return _NOT_HANDLED
            if item_kind != _STRING:
                kind[0] = _OTHER
            if build:
                items.append(item)
        if i >= n:
            return _NOT_HANDLED
        if s[i] == 0x2C:  # ,
            i += 1
        elif s[i] == 0x5D:
            i += 1
            break
        else:
            return _NOT_HANDLED
    pos[0] = i
    if build:
        return PyList_AsTuple(items)
    return _bytes_like(previous, s + start, i - start)


cdef object _fast_json_object(const unsigned char* s, Py_ssize_t n, _ClaimKinds* kinds, bint build_groups):
    """The payload's JSON object, when it is the compact kind Cognito writes, with the kinds of
    its checked claims filled in (``kinds`` starts all _ABSENT).

    Handles one object without whitespace whose values are strings of printable ASCII without
    escapes, integers of up to 18 digits, true, false, null, or arrays of those. It returns
    what json.loads would (duplicate names: the last value, at the first position), with
    tuples for the arrays a check reads (``aud``, and ``cognito:groups`` when ``build_groups``)
    and the JSON text of every other array, which Claims decodes on first read (see
    _fast_array). Anything else returns _NOT_HANDLED and goes to the json module, so the two
    agree by construction.
    """
    global _LAST_MEMBERS, _TEMPLATE, _MEMO_FILLED
    cdef Py_ssize_t pos = 1
    cdef Py_ssize_t end
    cdef Py_ssize_t index = 0
    cdef Py_ssize_t pair, j
    cdef object key, value, candidate
    cdef list memo = _MEMO
    cdef bint memoized
    cdef unsigned char cid, value_kind
    cdef double number = 0.0
    cdef long long integer = 0
    cdef tuple template = _TEMPLATE
    cdef tuple template_names = None
    cdef tuple template_values = None
    # Members of the template still in step with this payload; -1 once it is not.
    cdef Py_ssize_t templated = -1
    cdef dict result
    if n < 2 or s[0] != 0x7B or s[n - 1] != 0x7D:  # { ... }
        return _NOT_HANDLED
    if template is not None and n > 2:
        result = PyDict_Copy(<dict>template[0])
        template_names = <tuple>template[1]
        template_values = <tuple>template[2]
        templated = len(template_names)
    else:
        # Sized for the previous payload's members: one table, no resizing while it fills.
        result = _dict_presized(_LAST_MEMBERS)
    if n == 2:
        return result
    while True:
        if pos >= n or s[pos] != 0x22:
            return _NOT_HANDLED
        pair = index >> 1
        memoized = pair < _MEMO_MEMBERS
        end = -1
        if memoized:
            candidate = memo[index]
            end = _memo_end(candidate, s, n, pos + 1)
            if end < 0:
                # Payloads of one pool differ in shape (a claim more or less shifts the rest):
                # the name may sit in a later slot. Found there, the two slots trade places, so
                # the names and the repeated values stay shared between the claims of every
                # token, as the cache holds them, whatever the order of the payloads.
                for j in range(pair + 1, _MEMO_FILLED):
                    end = _memo_end(memo[2 * j], s, n, pos + 1)
                    if end >= 0:
                        _memo_swap(memo, pair, j)
                        candidate = memo[index]
                        break
        if end >= 0:
            key = candidate
            cid = _MEMO_IDS[pair]
        else:
            end = _scan_string(s, n, pos + 1)
            if end < 0:
                return _NOT_HANDLED
            key = _ascii_str(s + pos + 1, end - pos - 1)
            cid = _checked_id(s + pos + 1, end - pos - 1)
            if memoized:
                if pair < _MEMO_FILLED and _MEMO_FILLED < _MEMO_MEMBERS:
                    # A new name: what this slot held moves to the first free one, not away.
                    _memo_swap(memo, pair, _MEMO_FILLED)
                if _MEMO_FILLED < _MEMO_MEMBERS:
                    _MEMO_FILLED += 1
                memo[index] = key
                _MEMO_IDS[pair] = cid
        if templated >= 0 and (
            pair >= templated or <PyObject*>key != PyTuple_GET_ITEM(template_names, pair)
        ):
            # Out of step: drop the template's names from here on, and go on member by member.
            # Insertion order stays the payload's: what follows is inserted after what precedes.
            for j in range(pair, templated):
                PyDict_DelItem(result, <object>PyTuple_GET_ITEM(template_names, j))
            templated = -1
        if end + 1 >= n or s[end + 1] != 0x3A:  # :
            return _NOT_HANDLED
        pos = end + 2
        if pos >= n:
            return _NOT_HANDLED
        if s[pos] == 0x22:
            end = -1
            if memoized:
                candidate = memo[index + 1]
                end = _memo_end(candidate, s, n, pos + 1)
            if end >= 0:
                value = candidate
            else:
                end = _scan_string(s, n, pos + 1)
                if end < 0:
                    return _NOT_HANDLED
                value = _ascii_str(s + pos + 1, end - pos - 1)
                if memoized:
                    memo[index + 1] = value
            value_kind = _STRING
            pos = end + 1
        elif s[pos] == 0x5B:  # [
            # Unchecked claims, and the groups when no check reads them, stay JSON text.
            value = _fast_array(
                s,
                n,
                &pos,
                &value_kind,
                cid != 0 and (cid != _GROUPS_ID or build_groups),
                memo[index + 1] if memoized else None,
            )
            if value is _NOT_HANDLED:
                return _NOT_HANDLED
            if memoized and type(value) is bytes:
                memo[index + 1] = value
        else:
            if memoized:
                value = _fast_scalar(
                    s, n, &pos, &value_kind, &number, memo[index + 1], _MEMO_INTS[index + 1], &integer
                )
            else:
                value = _fast_scalar(s, n, &pos, &value_kind, &number)
            if value is _NOT_HANDLED:
                return _NOT_HANDLED
            if memoized and value_kind == _NUMBER:
                # The slot and its value change together, nothing in between can run Python code.
                memo[index + 1] = value
                _MEMO_INTS[index + 1] = integer
        if templated < 0 or <PyObject*>value != PyTuple_GET_ITEM(template_values, pair):
            PyDict_SetItem(result, key, value)
        if cid:
            # A repeated name overwrites: the last value counts, as in the dict.
            kinds.kind[cid - 1] = value_kind
            kinds.number[cid - 1] = number
            kinds.value[cid - 1] = <PyObject*>value
        index += 2
        if pos >= n:
            return _NOT_HANDLED
        if s[pos] == 0x2C:
            pos += 1
        elif s[pos] == 0x7D and pos == n - 1:
            pair = index >> 1
            _LAST_MEMBERS = pair
            if templated > pair:
                # Fewer members than the template: drop its names this payload does not have.
                for j in range(pair, templated):
                    PyDict_DelItem(result, <object>PyTuple_GET_ITEM(template_names, j))
                templated = -1
            if templated < 0 and PyDict_Size(result) == pair:
                # No repeated name: the next payload may start from this one. A copy, since
                # Claims settles its pending values in place.
                _TEMPLATE = (PyDict_Copy(result), tuple(result), tuple(result.values()))
            return result
        else:
            return _NOT_HANDLED


cdef dict _decode_payload(bytes raw, _ClaimKinds* kinds, bint build_groups):
    """The payload's claims, with ``kinds`` filled in. Arrays and objects may still be JSON text
    or lists and dicts (the json module's): Claims makes them read-only on first read."""
    memset(kinds, 0, sizeof(_ClaimKinds))
    cdef object value = _fast_json_object(
        <const unsigned char*>PyBytes_AS_STRING(raw), len(raw), kinds, build_groups
    )
    if value is not _NOT_HANDLED:
        return <dict>value
    value = _decode_json_object(raw, "payload", False)
    _kinds_from_dict(<dict>value, kinds)
    return <dict>value


# --- claims -----------------------------------------------------------------------------------


cdef inline object _new_claims(dict data):
    """``Claims`` over ``data`` without its __init__, which would freeze every array now: the
    twins leave that to the first read (Claims._settle)."""
    return _new_with_slot(_Claims, _CLAIMS_DATA_SLOT, data)


# --- the claims cache -------------------------------------------------------------------------


@cython.final
@cython.no_gc
cdef class _Entry:
    # prev/next are borrowed: the cache's dict owns every entry, the cache owns the root.
    cdef PyObject* prev
    cdef PyObject* next
    cdef object key
    cdef str token
    cdef object claims
    cdef double expires_at
    cdef double not_before


cdef inline void _unlink(_Entry entry) noexcept:
    (<_Entry>entry.prev).next = entry.next
    (<_Entry>entry.next).prev = entry.prev


cdef inline void _link_last(_Entry root, _Entry entry) noexcept:
    entry.prev = root.prev
    entry.next = <PyObject*>root
    (<_Entry>root.prev).next = <PyObject*>entry
    root.prev = <PyObject*>entry


cdef void _release_in_order(list released) noexcept:
    # Least recently used first, one at a time, as the pure twin does: a finalizer that calls
    # the cache back then sees the same cache in both twins. A finalizer's own errors are
    # reported by the interpreter as unraisable, as for any finalizer.
    cdef Py_ssize_t index
    for index in range(len(released)):
        released[index] = None


@cython.final
cdef class ClaimsCache:
    """Bounded LRU of verified claims, keyed by a hash of the token's end (_token_hash), a hit
    confirmed by the whole token (full equality).

    Entries live until ``exp`` plus leeway; an expired or not-yet-valid entry is never returned.
    Safe under threads: no method lets the interpreter switch threads between changes to the
    entries (no Python code runs: the keys are ints, entries are not tracked by the garbage
    collector), so the GIL alone serialises them. The one exception is releasing an object,
    which can run a finalizer that calls the cache again: every method holds what it removes
    until the list and the dict agree again, and lets go of it only then.
    One cache serves one verifier: ``VerifierCore`` refuses a cache that another one holds.
    """

    cdef public Py_ssize_t maxsize
    cdef public Py_ssize_t hits
    cdef public Py_ssize_t misses
    cdef dict _entries
    cdef _Entry _root
    cdef bint _bound

    def __init__(self, maxsize):
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._entries = {}
        self._root = _Entry()
        self._root.prev = self._root.next = <PyObject*>self._root

    cdef object _get(self, str token, uint64_t token_hash, double now):
        cdef object key = PyLong_FromUnsignedLongLong(token_hash)
        cdef PyObject* found = PyDict_GetItem(self._entries, key)
        cdef _Entry entry
        if found is not NULL:
            entry = <_Entry>found
            if entry.token == token:
                if entry.not_before <= now < entry.expires_at:
                    _unlink(entry)
                    _link_last(self._root, entry)
                    self.hits += 1
                    return entry.claims
                _unlink(entry)
                PyDict_DelItem(self._entries, key)
        self.misses += 1
        return None

    cdef int _put(self, str token, uint64_t token_hash, object claims, double expires_at,
                  double not_before) except -1:
        if self.maxsize <= 0:
            return 0
        cdef object key = PyLong_FromUnsignedLongLong(token_hash)
        # Allocated before any change: an allocation may start the garbage collector.
        cdef list released = []
        cdef PyObject* found = PyDict_GetItem(self._entries, key)
        cdef _Entry entry
        cdef _Entry oldest
        if found is not NULL:
            # The same token again, or (once in 2**64) another one with its hash: replace. The
            # old token and claims are released with `released`, once the list is whole again.
            entry = <_Entry>found
            _unlink(entry)
            released.append(entry.token)
            released.append(entry.claims)
        else:
            entry = _Entry()
            entry.key = key
            PyDict_SetItem(self._entries, key, entry)
        entry.token = token
        entry.claims = claims
        entry.expires_at = expires_at
        entry.not_before = not_before
        _link_last(self._root, entry)
        while PyDict_Size(self._entries) > self.maxsize:
            oldest = <_Entry>self._root.next
            _unlink(oldest)
            released.append(oldest)
            PyDict_DelItem(self._entries, oldest.key)
        oldest = entry = None
        _release_in_order(released)
        return 0

    cdef list _take_all(self):
        # Every entry, least recently used first, with the cache left empty.
        cdef list released = []
        cdef PyObject* node = self._root.next
        while node != <PyObject*>self._root:
            released.append(<_Entry>node)
            node = (<_Entry>node).next
        self._root.prev = self._root.next = <PyObject*>self._root
        entries = self._entries
        self._entries = {}
        # The entries outlive their dict here: `released` holds each of them.
        del entries
        return released

    cdef int _bind(self) except -1:
        if self._bound:
            raise ConfigurationError("this ClaimsCache already serves another verifier; give each its own")
        self._bound = True
        return 0

    def get(self, str token not None, double now):
        return self._get(token, _str_hash(token), now)

    def put(self, str token not None, claims, double expires_at, double not_before):
        self._put(token, _str_hash(token), claims, expires_at, not_before)

    def discard(self, str token not None):
        cdef object key = PyLong_FromUnsignedLongLong(_str_hash(token))
        cdef PyObject* found = PyDict_GetItem(self._entries, key)
        cdef _Entry entry
        if found is not NULL:
            entry = <_Entry>found
            if entry.token == token:
                _unlink(entry)
                PyDict_DelItem(self._entries, key)
        # `entry` holds the removed entry until here.

    def drop_entries(self):
        _release_in_order(self._take_all())

    def clear(self):
        released = self._take_all()
        self.hits = 0
        self.misses = 0
        _release_in_order(released)

    def info(self):
        return CacheInfo(self.hits, self.misses, PyDict_Size(self._entries), self.maxsize)

    def __len__(self):
        return PyDict_Size(self._entries)


# --- errors, out of line ---------------------------------------------------------------------
# VerifierCore.verify raises from some twenty places. Built inline (a global lookup, a keyword
# dict, an f-string, each with its own cleanup) those errors made verify ~37 KB of machine code
# with the cold paths between the hot ones, and a cold verify then evicted part of the RSA check's
# own code and data from the CPU caches. Each helper below has several callers, so the C compiler
# keeps it out of line and verify shrinks to the hot path plus one call per error.


cdef int _malformed(str message) except -1:
    raise MalformedTokenError(message)


cdef inline str _token_text(object token, Py_ssize_t max_bytes):
    # Step 1, type and size; also AlbVerifier's (through token_text).
    if type(token) is not str:
        if isinstance(token, (bytes, bytearray)):
            if len(token) > max_bytes:
                _malformed("the token is larger than the allowed size")
            if not token.isascii():
                _malformed("the token is not ASCII")
            token = token.decode("ascii")
        elif isinstance(token, str):
            token = str(token)
        else:
            _malformed("the token is not a str or bytes")
    if PyUnicode_GET_LENGTH(token) > max_bytes:
        _malformed("the token is larger than the allowed size")
    if not PyUnicode_IS_ASCII(token):
        _malformed("the token is not ASCII")
    return <str>token


cdef int _claim_error(object cls, str message, str claim, object actual, object expected) except -1:
    # message None: the class's default message, as when the pure twin passes none.
    raise cls(message, claim=claim, actual=actual, expected=expected)


cdef str _bound(str op, double value):
    # The `expected` of a time check: formats the float as the pure twin's f-string does.
    return f"{op} {value}"


cdef int _check_signature(tuple key_entry, bytes signature, const char* buf, Py_ssize_t length) except -1:
    # RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2) of the first ``length`` bytes of ``buf``.
    # ``key_entry``: (key, its bound recover_data_from_signature, the modulus's length in octets).
    # A signature is exactly k octets; cryptography does RSAVP1 and checks the 00 01 FF..FF 00
    # padding; the rest must equal the whole encoded DigestInfo of the SHA-256 hash. This is the
    # check key.verify makes, without the digest setup OpenSSL repeats on every call (2 us).
    cdef bytes recovered
    cdef bytes digest
    if PyBytes_GET_SIZE(signature) != <Py_ssize_t>(<object>PyTuple_GET_ITEM(key_entry, 2)):
        raise InvalidSignatureError()
    try:
        recovered = (<object>PyTuple_GET_ITEM(key_entry, 1))(signature, _PKCS1V15, None)
    except _InvalidSignature:
        raise InvalidSignatureError() from None
    digest = _sha256(PyBytes_FromStringAndSize(buf, length)).digest()
    if (
        PyBytes_GET_SIZE(recovered) != PyBytes_GET_SIZE(_DIGEST_INFO) + PyBytes_GET_SIZE(digest)
        or memcmp(PyBytes_AS_STRING(recovered), PyBytes_AS_STRING(_DIGEST_INFO), PyBytes_GET_SIZE(_DIGEST_INFO)) != 0
        or memcmp(
            PyBytes_AS_STRING(recovered) + PyBytes_GET_SIZE(_DIGEST_INFO),
            PyBytes_AS_STRING(digest),
            PyBytes_GET_SIZE(digest),
        ) != 0
    ):
        raise InvalidSignatureError()
    return 0


cdef bint _any_in(object items, object allowed) except -1:
    # any(item in allowed for item in items), without the generator: a generator expression
    # in verify made Cython allocate a closure scope on every call, error or not.
    for item in items:
        if item in allowed:
            return True
    return False


# --- the verifier -----------------------------------------------------------------------------


@cython.final
cdef class VerifierCore:
    """Steps 1 to 8 of the verification (docs/verifier.md), minus the network.

    ``pools`` maps each trusted issuer to its key source: an object with a ``by_kid`` dict (kid to
    ``cryptography`` RSA public key), replaced whole when the keys change, and ``key_for(kid)``
    that may refresh and returns the key with the seconds its key set may be trusted without
    asking again, or raises ``KeyNotFoundError`` or ``JWKSError``.
    """

    cdef dict _pools
    cdef object _single_issuer
    cdef object _single_source
    cdef double _leeway
    cdef object _token_use
    cdef object _clients
    cdef object _groups
    cdef object _scopes
    cdef object _claims_check
    cdef object _custom_check
    cdef Py_ssize_t _max_token_bytes
    cdef ClaimsCache _cache
    cdef object _clock
    cdef dict _headers
    # (segment, kid) of the last header seen, checked before the dict without slicing the token.
    cdef tuple _last_header
    # The single pool's bound key_for, and (key, its bound recover_data_from_signature, its
    # modulus's length in octets) of the last key used: fewer lookups per verify. One tuple, so
    # threads never pair a key with another key's method or length.
    cdef object _single_key_for
    cdef tuple _last_key

    def __init__(
        self,
        *,
        pools,
        leeway,
        token_use,
        clients,
        groups,
        scopes,
        claims_check=None,
        custom_check,
        max_token_bytes,
        cache,
        clock,
    ):
        self._pools = dict(pools)
        if len(self._pools) == 1:
            ((self._single_issuer, self._single_source),) = self._pools.items()
        else:
            self._single_issuer = None
            self._single_source = None
        self._leeway = float(leeway)
        self._token_use = token_use
        self._clients = clients
        self._groups = groups
        self._scopes = scopes
        self._claims_check = claims_check
        self._custom_check = custom_check
        self._max_token_bytes = max_token_bytes
        if cache is not None:
            (<ClaimsCache?>cache)._bind()
        self._cache = cache
        self._clock = clock
        self._headers = {}
        self._last_header = None
        self._single_key_for = None if self._single_source is None else self._single_source.key_for
        self._last_key = None

    cdef str _kid(self, str token, const char* buf, Py_ssize_t length):
        # Cognito signs every token of a pool with one of two keys, so the same few header
        # segments recur; a checked segment maps to its kid without decoding it again.
        cdef tuple last = self._last_header
        cdef str segment
        if last is not None:
            segment = <str>last[0]
            if PyUnicode_GET_LENGTH(segment) == length and memcmp(PyUnicode_DATA(segment), buf, length) == 0:
                return <str>last[1]
        segment = token[:length]
        cdef PyObject* found = PyDict_GetItem(self._headers, segment)
        cdef str kid
        if found is not NULL:
            kid = <str>found
        else:
            kid = decode_header(segment)
            if len(self._headers) >= HEADER_CACHE_SIZE:
                self._headers.clear()
            self._headers[segment] = kid
        self._last_header = (segment, kid)
        return kid

    def verify(self, token):
        cdef Py_ssize_t length, first, second
        cdef const char* buf
        cdef const char* dot
        cdef double now, leeway, expires_at, not_before, nbf_at, trusted_for
        cdef uint64_t token_hash = 0
        cdef dict decoded = None
        cdef _ClaimKinds kinds

        # 1. Type and size.
        token = _token_text(token, self._max_token_bytes)
        length = PyUnicode_GET_LENGTH(token)
        # An ASCII str holds its characters as one byte each, which are also its ASCII bytes.
        buf = <const char*>PyUnicode_DATA(token)
        now = self._clock()

        # 2. Cache: the exact same token, not expired.
        cdef ClaimsCache cache = self._cache
        if cache is not None:
            token_hash = _token_hash(<const unsigned char*>buf, length) ^ 1  # ^ kind, as _str_hash
            claims = cache._get(token, token_hash, now)
            if claims is not None:
                # A hit has passed the time checks (in _get); a denylist or a disabled-user
                # check must still see every use of the token, not only its first.
                if self._custom_check is not None:
                    self._custom_check(claims)
                return claims

        # 3. Exactly three non-empty segments, each strict base64url (RFC 7515 §7.1).
        dot = <const char*>memchr(buf, 0x2E, length)
        if dot is NULL:
            _malformed("the token does not have exactly three segments")
        first = dot - buf
        dot = <const char*>memchr(buf + first + 1, 0x2E, length - first - 1)
        if dot is NULL:
            _malformed("the token does not have exactly three segments")
        second = dot - buf
        if memchr(buf + second + 1, 0x2E, length - second - 1) is not NULL:
            _malformed("the token does not have exactly three segments")
        if first == 0 or second == first + 1 or second == length - 1:
            _malformed("the token has an empty segment")
        payload = _b64url_decode_ascii(buf + first + 1, second - first - 1)
        signature = _b64url_decode_ascii(buf + second + 1, length - second - 1)
        # 4. Header.
        kid = self._kid(token, buf, first)

        # 5. Key, from the pool the token names (several pools: peek at `iss`, checked again
        # after the signature).
        source = self._single_source
        issuer = self._single_issuer
        if source is None:
            decoded = _decode_payload(payload, &kinds, self._groups is not None)
            iss = _claim(&kinds, _ISS)
            source = self._pools.get(iss) if type(iss) is str else None
            if source is None:
                _claim_error(
                    InvalidIssuerError,
                    "the token's issuer is not a trusted user pool",
                    CLAIM_ISS,
                    _as_list(iss),
                    sorted(self._pools),
                )
            issuer = iss
        if source is self._single_source:
            key, trusted_for = self._single_key_for(kid)
        else:
            key, trusted_for = source.key_for(kid)

        # 6. Signature over the exact ASCII bytes of `header.payload` (RFC 7515 §5.2).
        cdef tuple last_key = self._last_key
        if last_key is None or PyTuple_GET_ITEM(last_key, 0) != <PyObject*>key:
            last_key = self._last_key = (key, key.recover_data_from_signature, (key.key_size + 7) >> 3)
        _check_signature(last_key, signature, buf, second)

        # 7. Claims, only now that they are signed.
        if decoded is None:
            decoded = _decode_payload(payload, &kinds, self._groups is not None)
        _check_claim_kinds(&kinds)
        leeway = self._leeway
        # NumericDates compare as C doubles, exactly as the pure twin compares floats.
        expires_at = kinds.number[_EXP] + leeway
        if not now < expires_at:
            _claim_error(ExpiredTokenError, None, CLAIM_EXP, decoded[CLAIM_EXP], _bound(">", now - leeway))
        not_before = kinds.number[_IAT]
        if not_before > now + leeway:
            _claim_error(
                NotYetValidError,
                "the token was issued in the future",
                CLAIM_IAT,
                decoded[CLAIM_IAT],
                _bound("<=", now + leeway),
            )
        if kinds.kind[_NBF] != _ABSENT:
            nbf_at = kinds.number[_NBF]
            if nbf_at > now + leeway:
                _claim_error(NotYetValidError, None, CLAIM_NBF, decoded[CLAIM_NBF], _bound("<=", now + leeway))
            if nbf_at > not_before:
                not_before = nbf_at
        iss = _claim(&kinds, _ISS)
        if iss != issuer:
            _claim_error(InvalidIssuerError, None, CLAIM_ISS, iss, issuer)
        token_use = _claim(&kinds, _TOKEN_USE)
        if token_use not in TOKEN_USES or (self._token_use is not None and token_use != self._token_use):
            _claim_error(
                InvalidTokenUseError, None, CLAIM_TOKEN_USE, token_use, self._token_use or sorted(TOKEN_USES)
            )
        clients = self._clients
        if clients is not None:
            if token_use == "access":
                client_claim = CLAIM_CLIENT_ID
                client = _claim(&kinds, _CLIENT_ID)
                allowed = client in clients
            else:
                client_claim = CLAIM_AUD
                client = _claim(&kinds, _AUD)
                if type(client) is list or type(client) is tuple:
                    allowed = _any_in(client, clients)
                else:
                    allowed = client in clients
            if not allowed:
                _claim_error(InvalidClientError, None, client_claim, _as_list(client), sorted(clients))
        groups = self._groups
        if groups is not None:
            have = decoded.get(CLAIM_GROUPS) or ()
            if groups.isdisjoint(have):
                _claim_error(MissingGroupError, None, CLAIM_GROUPS, list(have), sorted(groups))
        scopes = self._scopes
        if scopes is not None:
            scope = decoded.get(CLAIM_SCOPE)
            # RFC 6749 §3.3: split on U+0020 only; the same split as Claims.scopes.
            if scopes.isdisjoint(split_scope(scope) if scope else ()):
                _claim_error(MissingScopeError, None, CLAIM_SCOPE, scope, sorted(scopes))
        claims = _new_claims(decoded)
        # A verdict on the claims alone holds for the token's life: asked once, never on a hit
        # (a refusal is never cached). The custom check, whose answer may change, runs on both.
        if self._claims_check is not None:
            self._claims_check(claims)
        if self._custom_check is not None:
            self._custom_check(claims)

        # 8. Cache until exp (plus leeway), or until the key set must be checked again if that
        # comes first: a hit never looks at the key, so the entry must end when trust in it does.
        if cache is not None and trusted_for > 0:
            cache._put(token, token_hash, claims, min(expires_at, now + trusted_for), not_before - leeway)
            if source.by_kid.get(kid) is not key:
                # A refresh removed or replaced the key while this token was being verified,
                # after it dropped the cached claims of that key: drop this entry too.
                cache.discard(token)
        return claims

    def clear_header_cache(self):
        self._headers.clear()
        self._last_header = None


# --- test hooks -------------------------------------------------------------------------------


def _use_avx2(enabled):
    """Switch the AVX2 code (the base64url decoder, the masks of the array scan) off, or back on
    where the CPU has AVX2, so the tests can hold the other loops to the same answers; returns
    whether it was on."""
    global _AVX2
    previous = _AVX2
    _AVX2 = bool(enabled) and _cpu_has_avx2()
    return previous


### Public API ###


def b64url_decode(segment):
    """Strict base64url (RFC 4648 §5, as RFC 7515 §2 uses it): no padding, nothing outside the
    alphabet, and canonical trailing bits (RFC 4648 §3.5), so one value has one encoding."""
    if not isinstance(segment, str):
        raise TypeError("b64url_decode() takes a str")
    cdef Py_ssize_t length = PyUnicode_GET_LENGTH(segment)
    if (length & 3) == 1:
        raise MalformedTokenError(_B64_LENGTH)
    if not PyUnicode_IS_ASCII(segment):
        raise MalformedTokenError(_B64_ALPHABET)
    return _b64url_decode_ascii(<const char*>PyUnicode_DATA(segment), length)


def decode_header(segment):
    """Decode and check a header segment; return its ``kid``."""
    if len(segment) > MAX_HEADER_SEGMENT_CHARS:
        raise MalformedTokenError("the header is too large")
    header = _decode_json_object(b64url_decode(segment), "header", True)
    for name in FORBIDDEN_HEADER_PARAMETERS:
        if name in header:
            raise MalformedTokenError(f"the header parameter {name!r} is not accepted")
    alg = header.get("alg")
    if alg is None:
        raise UnsupportedAlgorithmError("the header has no alg")
    if type(alg) is not str:
        raise MalformedTokenError("the header's alg is not a string")
    if alg not in ALLOWED_ALGORITHMS:
        raise UnsupportedAlgorithmError(f"the algorithm {alg[:16]!r} is not allowed; only RS256 is")
    kid = header.get("kid")
    if kid is None:
        raise MalformedTokenError("the header has no kid")
    if type(kid) is not str or not kid:
        raise MalformedTokenError("the header's kid is not a non-empty string")
    return kid


def token_text(token, Py_ssize_t max_token_bytes):
    """Step 1 of ``VerifierCore.verify``: ``token`` (a str, or ASCII bytes) as a str of at most
    ``max_token_bytes`` ASCII characters, or ``MalformedTokenError``."""
    return _token_text(token, max_token_bytes)


def json_too_deep(text):
    """Whether arrays and objects nest more than ``MAX_JSON_DEPTH`` deep anywhere in ``text``
    (brackets inside strings do not count)."""
    cdef bytes raw = (<str?>text).encode("utf-8", "surrogatepass")
    return _json_too_deep(<const unsigned char*>PyBytes_AS_STRING(raw), len(raw))
