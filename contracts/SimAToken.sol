// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

interface ISimIncomeSource {
    function getReserveNormalizedIncome(address asset) external view returns (uint256);
}

/// @notice Devnet only. Aave v3 aToken look-alike: balances are stored scaled, and
/// `balanceOf = scaledBalance × liquidityIndex / RAY` with the index of its market (SimAaveMarket),
/// so balances grow every block at the market's liquidity rate. The market mints and burns; holders
/// may transfer. The underlying is held by the market, which mints LST to back accrued interest.
contract SimAToken is IERC20Metadata {
    uint256 internal constant RAY = 1e27;

    address public immutable POOL;
    address public immutable UNDERLYING_ASSET_ADDRESS;
    string public name;
    string public symbol;

    mapping(address => uint256) internal _scaled;
    uint256 internal _scaledTotal;
    uint8 internal _decimals = 18;
    mapping(address => mapping(address => uint256)) public allowance;

    error OnlyPool(address caller);
    error InsufficientBalance(address owner, uint256 balance, uint256 needed);
    error InsufficientAllowance(address spender, uint256 allowance, uint256 needed);

    constructor(address pool_, address underlying_, string memory name_, string memory symbol_) {
        POOL = pool_;
        UNDERLYING_ASSET_ADDRESS = underlying_;
        name = name_;
        symbol = symbol_;
    }

    modifier onlyPool() {
        if (msg.sender != POOL) revert OnlyPool(msg.sender);
        _;
    }

    /// `view` like Aave's aToken (its decimals are storage there).
    function decimals() external view returns (uint8) {
        return _decimals;
    }

    function _index() internal view returns (uint256) {
        return ISimIncomeSource(POOL).getReserveNormalizedIncome(UNDERLYING_ASSET_ADDRESS);
    }

    function scaledBalanceOf(address user) external view returns (uint256) {
        return _scaled[user];
    }

    function scaledTotalSupply() external view returns (uint256) {
        return _scaledTotal;
    }

    function balanceOf(address user) public view returns (uint256) {
        return Math.mulDiv(_scaled[user], _index(), RAY);
    }

    function totalSupply() public view returns (uint256) {
        return Math.mulDiv(_scaledTotal, _index(), RAY);
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert InsufficientAllowance(msg.sender, allowed, amount);
            allowance[from][msg.sender] = allowed - amount;
        }
        _transfer(from, to, amount);
        return true;
    }

    /// Mints `amount` (in underlying units) at `index`; rounds the scaled amount down.
    function mint(address to, uint256 amount, uint256 index) external onlyPool {
        uint256 scaled = Math.mulDiv(amount, RAY, index);
        _scaled[to] += scaled;
        _scaledTotal += scaled;
        emit Transfer(address(0), to, amount);
    }

    /// Burns `amount` (in underlying units) at `index`; rounds the scaled amount up, capped at the
    /// holder's scaled balance (so burning a full balance always works).
    function burn(address from, uint256 amount, uint256 index) external onlyPool {
        uint256 scaled = _scaledFor(from, amount, index);
        _scaled[from] -= scaled;
        _scaledTotal -= scaled;
        emit Transfer(from, address(0), amount);
    }

    function _transfer(address from, address to, uint256 amount) internal {
        uint256 scaled = _scaledFor(from, amount, _index());
        _scaled[from] -= scaled;
        _scaled[to] += scaled;
        emit Transfer(from, to, amount);
    }

    function _scaledFor(address from, uint256 amount, uint256 index) internal view returns (uint256 scaled) {
        uint256 bal = Math.mulDiv(_scaled[from], index, RAY);
        if (amount > bal) revert InsufficientBalance(from, bal, amount);
        scaled = Math.mulDiv(amount, RAY, index, Math.Rounding.Ceil);
        if (scaled > _scaled[from]) scaled = _scaled[from];
    }
}
