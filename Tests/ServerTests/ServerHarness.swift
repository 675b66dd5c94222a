import AccessModel
import Foundation
import LedgerStore
import TestSupport
