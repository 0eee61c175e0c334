;; The W6 floor kernel: XOR-unmask bytes in place with WebSocket masking keys, in wasm SIMD.
;; What any wasm WebSocket engine must at least do to a masked payload once it has been
;; copied into its memory (RFC 6455 §5.3). bench/candidates/floors.mjs copies each 64 KiB
;; chunk into this module's memory and calls `unmask` once per frame payload piece in it.
;; Built with binaryen (`wasm-as --enable-simd`, the package's dev dependency) into the
;; bench cache; nothing here ships.
(module
  ;; 2 pages: one 64 KiB chunk at offset 0, with room to spare.
  (memory (export "memory") 2)

  ;; unmask(ptr, len, key): bytes [ptr, ptr + len) ^= key, where `key` is the masking key as
  ;; a little-endian u32, already rotated so that its low byte applies to the byte at ptr.
  (func (export "unmask") (param $p i32) (param $n i32) (param $key i32)
    (local $end i32)
    (local $k v128)
    (local.set $k (i32x4.splat (local.get $key)))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    ;; 64 bytes per iteration: four 16-byte lanes
    (block $done64
      (loop $l64
        (br_if $done64 (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end)))
        (v128.store offset=0 (local.get $p) (v128.xor (v128.load offset=0 (local.get $p)) (local.get $k)))
        (v128.store offset=16 (local.get $p) (v128.xor (v128.load offset=16 (local.get $p)) (local.get $k)))
        (v128.store offset=32 (local.get $p) (v128.xor (v128.load offset=32 (local.get $p)) (local.get $k)))
        (v128.store offset=48 (local.get $p) (v128.xor (v128.load offset=48 (local.get $p)) (local.get $k)))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $l64)))
    ;; 16 bytes per iteration
    (block $done16
      (loop $l16
        (br_if $done16 (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $p) (v128.xor (v128.load (local.get $p)) (local.get $k)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $l16)))
    ;; the last 0-15 bytes one at a time; the key's phase is unchanged (16 is a multiple of 4)
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
        (i32.store8 (local.get $p) (i32.xor (i32.load8_u (local.get $p)) (local.get $key)))
        (local.set $key (i32.rotr (local.get $key) (i32.const 8)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $l1)))))
