package event

import "unsafe"

// EncodedObject is a JSON object's members encoded as json.Marshal encodes the object:
// in key order, each `"key":value`, keys and strings escaped as encoding/json escapes
// them. A decoder that has a record's text can build it while decoding for little more
// than copying, and AppendJSON then copies the original record's members instead of
// encoding them again: for a cloud audit record that was three quarters of the
// encoder's time.
//
// Unstable API: made for the parse package's decoder.
type EncodedObject struct {
	Keys []string // the members' keys, in order, each once
	Text []byte   // the members' encodings, back to back
	Ends []int    // Ends[i] is where member i's encoding ends in Text (and i+1's starts)
}

// SetEncodedOriginal gives AppendJSON the encoding of e.Original, or takes it away
// (nil). enc must be exactly the encoding of Original's members as they are. It is
// used only while Original is the same map with the same number of members: setting
// another Original makes AppendJSON encode the record itself again, but a change of a
// value inside the record must be followed by SetEncodedOriginal(nil).
//
// Unstable API: made for the parse package's decoder.
func (e *Event) SetEncodedOriginal(enc *EncodedObject) {
	e.encoded = enc
	e.encodedFor, e.encodedLen = mapID(e.Original), len(e.Original)
}

// encodedOriginal returns the encoding of the original record that SetEncodedOriginal
// gave, if it is still the encoding of Original.
func (e *Event) encodedOriginal() *EncodedObject {
	if e.encoded == nil || e.Original == nil || mapID(e.Original) != e.encodedFor || len(e.Original) != e.encodedLen {
		return nil
	}
	return e.encoded
}

// mapID is the identity of a map: a map value is a pointer to the runtime's map.
func mapID(m map[string]any) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&m)) }
