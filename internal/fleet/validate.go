package fleet

import "fmt"

// ValidateEach validates the items of a batch write, so a batch is stored whole or not at all;
// the error names the first invalid item by noun and index (e.g. "sim 3: …").
func ValidateEach[T interface{ Validate() error }](noun string, items []T) error {
	for i, it := range items {
		if err := it.Validate(); err != nil {
			return fmt.Errorf("%s %d: %w", noun, i, err)
		}
	}
	return nil
}
