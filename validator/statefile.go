package validator

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// checkLength refuses a bbolt file shorter than its meta page says (bbolt
// maps the file into memory and would read the missing pages there: a
// SIGBUS, which kills the process unless the goroutine set
// debug.SetPanicOnFault, as openApp also does), or whose meta page names a root or a
// freelist page outside the file or a freelist page that is not one. It
// reads the two meta pages as bbolt
// lays them out (native byte order; little-endian on the platforms Cove
// builds for): a page header of 16 bytes, then magic, version, page size,
// flags (4 bytes each), the root bucket (16), the freelist page, the
// high-water page id and the txid (8 each), and an FNV-64a checksum of the
// fields before it. A meta page that does not check is left to bbolt,
// which refuses the file when neither does.
func checkLength(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	var (
		best  *metaPage
		first = make([]byte, 4096)
	)
	n, _ := io.ReadFull(f, first)
	m0, ok := parseMeta(first[:n])
	if ok {
		best = &m0
		second := make([]byte, 4096)
		n, _ := f.ReadAt(second, int64(m0.pageSize))
		if m1, ok := parseMeta(second[:n]); ok && m1.txid > m0.txid {
			best = &m1
		}
	}
	if best == nil {
		return nil
	}
	if want := int64(best.pgid) * int64(best.pageSize); fi.Size() < want {
		return fmt.Errorf("truncated: the file is %d bytes, its meta page says %d", fi.Size(), want)
	}
	if best.root < 2 || best.root >= best.pgid {
		return fmt.Errorf("the root page %d is outside the file's %d pages", best.root, best.pgid)
	}
	// bbolt reads the freelist inside Open and panics on a bad one after
	// it has locked and mapped the file: the mapping keeps the lock held
	// in this process even once the file is closed.
	const noFreelist, freelistFlag = ^uint64(0), 0x10
	if best.freelist != noFreelist {
		if best.freelist < 2 || best.freelist >= best.pgid {
			return fmt.Errorf("the freelist page %d is outside the file's %d pages", best.freelist, best.pgid)
		}
		var hdr [16]byte
		if _, err := f.ReadAt(hdr[:], int64(best.freelist)*int64(best.pageSize)); err != nil {
			return fmt.Errorf("read the freelist page %d: %w", best.freelist, err)
		}
		if flags := binary.LittleEndian.Uint16(hdr[8:]); flags != freelistFlag {
			return fmt.Errorf("page %d is not a freelist page (flags %#x)", best.freelist, flags)
		}
	}
	return nil
}

type metaPage struct {
	pageSize                   uint32
	root, freelist, pgid, txid uint64
}

// parseMeta reads a meta page at the start of b; ok is false unless its
// magic, version and checksum are right.
func parseMeta(b []byte) (metaPage, bool) {
	const (
		header = 16
		size   = 64 // the meta's fields with the checksum
		magic  = 0xED0CDAED
	)
	if len(b) < header+size {
		return metaPage{}, false
	}
	m := b[header : header+size]
	le := binary.LittleEndian
	if le.Uint32(m[0:]) != magic || le.Uint32(m[4:]) != 2 {
		return metaPage{}, false
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != le.Uint64(m[56:]) {
		return metaPage{}, false
	}
	p := metaPage{pageSize: le.Uint32(m[8:]), root: le.Uint64(m[16:]), freelist: le.Uint64(m[32:]), pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}
	if p.pageSize < 512 || p.pageSize > 1<<16 {
		return metaPage{}, false
	}
	return p, true
}
